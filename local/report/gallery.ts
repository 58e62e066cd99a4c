import { mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import {
  ClassFactory,
  ClassType,
  type BaseModel,
  type BaseModelConstructor,
} from '../../lib/algorithm/index.js';
import { drawDetections } from '../../lib/image/index.js';
import { readManifest } from '../../lib/model-package/index.js';
import type { GalleryItem } from './run-summary.js';
import '../../lib/algorithms/index.js';

async function openModel(modelZip: string): Promise<{ model: BaseModel; classes: string[] }> {
  const manifest = await readManifest(modelZip);
  const Model = ClassFactory.get<BaseModelConstructor>(ClassType.GENERAL, manifest.algorithm);
  const model = new Model(manifest.hyperparameters);
  await model.load(modelZip);
  return { model, classes: manifest.classes };
}

async function drawAll(modelZip: string, images: string[], outDir: string): Promise<string[]> {
  const { model, classes } = await openModel(modelZip);
  try {
    const out: string[] = [];
    for (const image of images) {
      const file = join(outDir, `${basename(image).replace(/\.[^.]+$/, '')}.png`);
      await drawDetections(image, await model.detect(image), classes, file);
      out.push(file);
    }
    return out;
  } finally {
    await model.dispose();
  }
}

async function dataUri(pngFile: string): Promise<string> {
  // Downscaled so that the self-contained report stays small.
  const png = await sharp(await readFile(pngFile))
    .resize({ width: 300 })
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** Draws the boxes of the first and of the final model on the same test images. */
export async function buildGallery(
  firstModelZip: string,
  finalModelZip: string,
  images: string[],
  workDir: string,
): Promise<GalleryItem[]> {
  const beforeDir = join(workDir, 'before');
  const afterDir = join(workDir, 'after');
  await mkdir(beforeDir, { recursive: true });
  await mkdir(afterDir, { recursive: true });
  const before = await drawAll(firstModelZip, images, beforeDir);
  const after = await drawAll(finalModelZip, images, afterDir);
  return Promise.all(
    images.map(async (image, i) => ({
      name: basename(image),
      before: await dataUri(before[i]),
      after: await dataUri(after[i]),
    })),
  );
}
