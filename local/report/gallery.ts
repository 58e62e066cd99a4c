import { mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { loadModel } from '../../lib/builtin-algorithms/model-loader.js';
import { readVocFile, type DatasetSample, type VocObject } from '../../lib/dataset/index.js';
import { drawDetections } from '../../lib/image/index.js';
import { readManifest } from '../../lib/model-package/index.js';
import type { GalleryCrop, GalleryItem } from './run-summary.js';

/** Enlarged crops per image, around its first ground-truth boxes. */
const CROPS_PER_IMAGE = 3;
/** A crop shows the box and this much context on each side (in box sizes), at least MIN_CROP px. */
const CROP_CONTEXT = 1.2;
const MIN_CROP = 72;
const CROP_WIDTH = 150;

async function drawAll(modelZip: string, samples: DatasetSample[], outDir: string): Promise<string[]> {
  const { classes } = await readManifest(modelZip);
  const model = await loadModel(modelZip);
  try {
    const out: string[] = [];
    for (const { imagePath } of samples) {
      const file = join(outDir, `${basename(imagePath).replace(/\.[^.]+$/, '')}.png`);
      await drawDetections(imagePath, await model.detect(imagePath), classes, file);
      out.push(file);
    }
    return out;
  } finally {
    await model.dispose();
  }
}

async function dataUri(png: Buffer, width: number, kernel: 'lanczos3' | 'nearest'): Promise<string> {
  const scaled = await sharp(png).resize({ width, kernel }).png().toBuffer();
  return `data:image/png;base64,${scaled.toString('base64')}`;
}

/** The square region around a box, with context, kept inside the image. */
function cropRegion(box: VocObject, width: number, height: number) {
  const w = box.xmax - box.xmin;
  const h = box.ymax - box.ymin;
  const side = Math.min(
    width,
    height,
    Math.max(MIN_CROP, Math.round(Math.max(w, h) * (1 + 2 * CROP_CONTEXT))),
  );
  const cx = (box.xmin + box.xmax) / 2;
  const cy = (box.ymin + box.ymax) / 2;
  const left = Math.round(Math.min(Math.max(0, cx - side / 2), width - side));
  const top = Math.round(Math.min(Math.max(0, cy - side / 2), height - side));
  return { left, top, width: side, height: side };
}

async function crops(sample: DatasetSample, before: Buffer, after: Buffer): Promise<GalleryCrop[]> {
  if (!sample.annotationPath) return [];
  const annotation = await readVocFile(sample.annotationPath);
  const { width = annotation.width, height = annotation.height } = await sharp(before).metadata();
  return Promise.all(
    annotation.objects.slice(0, CROPS_PER_IMAGE).map(async (box) => {
      const region = cropRegion(box, width, height);
      const cut = async (png: Buffer) =>
        dataUri(await sharp(png).extract(region).toBuffer(), CROP_WIDTH, 'nearest');
      return { label: box.name, before: await cut(before), after: await cut(after) };
    }),
  );
}

/**
 * Draws the boxes of the first and of the final model on the same test images, whole (downscaled)
 * and as enlarged crops around the ground-truth defects, which are a few pixels tall in a thumbnail.
 */
export async function buildGallery(
  firstModelZip: string,
  finalModelZip: string,
  samples: DatasetSample[],
  workDir: string,
): Promise<GalleryItem[]> {
  const beforeDir = join(workDir, 'before');
  const afterDir = join(workDir, 'after');
  await mkdir(beforeDir, { recursive: true });
  await mkdir(afterDir, { recursive: true });
  const before = await drawAll(firstModelZip, samples, beforeDir);
  const after = await drawAll(finalModelZip, samples, afterDir);
  return Promise.all(
    samples.map(async (sample, i) => {
      const [b, a] = [await readFile(before[i]), await readFile(after[i])];
      return {
        name: basename(sample.imagePath),
        before: await dataUri(b, 300, 'lanczos3'),
        after: await dataUri(a, 300, 'lanczos3'),
        crops: await crops(sample, b, a),
      };
    }),
  );
}
