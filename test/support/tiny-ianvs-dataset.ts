import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { formatVoc } from '../../lib/dataset/index.js';

/** Deterministic pseudo-random numbers, so every run sees the same images. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** One 128x96 JPEG with 1-2 dark rectangles ("defect") on a light background, and its VOC boxes. */
export async function tinyDefectImage(seed: number): Promise<{ jpeg: Buffer; boxes: Array<{ xmin: number; ymin: number; xmax: number; ymax: number }> }> {
  const r = rng(seed);
  const boxes = Array.from({ length: 1 + Math.floor(r() * 2) }, () => {
    const w = 20 + Math.floor(r() * 20);
    const h = 16 + Math.floor(r() * 16);
    const x = 4 + Math.floor(r() * (120 - w));
    const y = 4 + Math.floor(r() * (88 - h));
    return { xmin: x + 1, ymin: y + 1, xmax: x + w, ymax: y + h };
  });
  const rects = boxes
    .map((b) => `<rect x="${b.xmin - 1}" y="${b.ymin - 1}" width="${b.xmax - b.xmin + 1}" height="${b.ymax - b.ymin + 1}" fill="rgb(30,40,50)"/>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="96"><rect width="100%" height="100%" fill="rgb(${200 + Math.floor(r() * 40)},220,210)"/>${rects}</svg>`;
  return { jpeg: await sharp(Buffer.from(svg)).jpeg({ quality: 92 }).toBuffer(), boxes };
}

/** Writes `<dir>/<split>/{index.txt,JPEGImages,Annotations}` in the Ianvs layout; returns the index path. */
export async function writeTinySplit(dir: string, split: string, count: number, seed: number): Promise<string> {
  const root = join(dir, split);
  await mkdir(join(root, 'JPEGImages'), { recursive: true });
  await mkdir(join(root, 'Annotations'), { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${split}-${i}`;
    const { jpeg, boxes } = await tinyDefectImage(seed * 1000 + i);
    await writeFile(join(root, 'JPEGImages', `${name}.jpeg`), jpeg);
    const xml = formatVoc({ filename: `${name}.jpeg`, width: 128, height: 96, depth: 3, objects: boxes.map((b) => ({ name: 'defect', ...b })) });
    await writeFile(join(root, 'Annotations', `${name}.xml`), xml);
    lines.push(`./JPEGImages/${name}.jpeg ./Annotations/${name}.xml`);
  }
  await writeFile(join(root, 'index.txt'), lines.join('\n') + '\n');
  return join(root, 'index.txt');
}

/** A local tiny dataset with `train_data/` and `test_data/`, class `defect`. */
export async function writeTinyDataset(dir: string, sizes = { train: 16, test: 8 }, seed = 7): Promise<string> {
  await writeTinySplit(dir, 'train_data', sizes.train, seed);
  await writeTinySplit(dir, 'test_data', sizes.test, seed + 1);
  return dir;
}
