import sharp from 'sharp';
import { formatVoc } from '../../lib/dataset/voc.js';
import type { ObjectStore } from '../../lib/storage/object-store.js';
import { formatS3Uri } from '../../lib/storage/s3-uri.js';

export const TINY_CLASSES = ['defect'];

/** Deterministic pseudo-random numbers, so every run trains on the same images. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** One 128x96 JPEG with 1-2 dark rectangles on a light background, and its VOC boxes. */
export async function tinyImage(
  seed: number,
): Promise<{ jpeg: Buffer; boxes: Array<{ xmin: number; ymin: number; xmax: number; ymax: number }> }> {
  const r = rng(seed);
  const boxes = Array.from({ length: 1 + Math.floor(r() * 2) }, () => {
    const w = 20 + Math.floor(r() * 20);
    const h = 16 + Math.floor(r() * 16);
    const x = 4 + Math.floor(r() * (120 - w));
    const y = 4 + Math.floor(r() * (88 - h));
    return { xmin: x + 1, ymin: y + 1, xmax: x + w, ymax: y + h };
  });
  const rects = boxes
    .map(
      (b) =>
        `<rect x="${b.xmin - 1}" y="${b.ymin - 1}" width="${b.xmax - b.xmin + 1}" height="${b.ymax - b.ymin + 1}" fill="rgb(30,40,50)"/>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="96"><rect width="100%" height="100%" fill="rgb(${200 + Math.floor(r() * 40)},220,210)"/>${rects}</svg>`;
  return { jpeg: await sharp(Buffer.from(svg)).jpeg({ quality: 92 }).toBuffer(), boxes };
}

/**
 * Uploads an Ianvs dataset of `count` tiny images to `s3://bucket/<prefix>/` (index.txt,
 * JPEGImages/, Annotations/) and returns the index URI.
 */
export async function uploadTinyDataset(
  store: ObjectStore,
  bucket: string,
  prefix: string,
  count: number,
  seed: number,
): Promise<string> {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${prefix.replace(/\//g, '-')}-${i}`;
    const { jpeg, boxes } = await tinyImage(seed * 1000 + i);
    await store.putObject(bucket, `${prefix}/JPEGImages/${name}.jpeg`, jpeg, { contentType: 'image/jpeg' });
    const xml = formatVoc({
      filename: `${name}.jpeg`,
      width: 128,
      height: 96,
      depth: 3,
      objects: boxes.map((b) => ({ name: 'defect', ...b })),
    });
    await store.putObject(bucket, `${prefix}/Annotations/${name}.xml`, xml, {
      contentType: 'application/xml',
    });
    lines.push(`./JPEGImages/${name}.jpeg ./Annotations/${name}.xml`);
  }
  await store.putObject(bucket, `${prefix}/index.txt`, lines.join('\n') + '\n', {
    contentType: 'text/plain',
  });
  return formatS3Uri(bucket, `${prefix}/index.txt`);
}
