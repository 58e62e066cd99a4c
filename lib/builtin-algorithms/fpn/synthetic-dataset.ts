import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { formatVoc } from '../../dataset/voc.js';
import type { VocObject } from '../../dataset/types.js';
import { makeRng } from '../../random.js';

/** Options of {@link writeSyntheticDataset}. */
export interface SyntheticDatasetOptions {
  images?: number;
  width?: number;
  height?: number;
  seed?: number;
  /** Two class names; the first is drawn red, the second blue. Default: the PCB-AoI classes. */
  classes?: [string, string];
  /** Objects per image, at most. */
  maxObjects?: number;
  format?: 'jpeg' | 'png';
}

/** Where the synthetic dataset landed. */
export interface SyntheticDataset {
  indexPath: string;
  classes: string[];
  imagePaths: string[];
}

function overlaps(a: VocObject, b: VocObject): boolean {
  return a.xmin < b.xmax + 3 && b.xmin < a.xmax + 3 && a.ymin < b.ymax + 3 && b.ymin < a.ymax + 3;
}

/**
 * Writes a tiny Ianvs-layout dataset (`index.txt`, `JPEGImages/`, `Annotations/`): plain grey
 * images with a few thin bars (horizontal or vertical, like PCB defects), red for class 0 and blue
 * for class 1. With the `tiny` preset an FPN learns it in seconds: for tests and demos.
 */
export async function writeSyntheticDataset(
  dir: string,
  options: SyntheticDatasetOptions = {},
): Promise<SyntheticDataset> {
  const n = options.images ?? 8;
  const w = options.width ?? 128;
  const h = options.height ?? 96;
  const classes = options.classes ?? ['Bad_podu', 'Bad_qiaojiao'];
  const fmt = options.format ?? 'jpeg';
  const ext = fmt === 'png' ? 'png' : 'jpeg';
  const rng = makeRng(options.seed ?? 42);
  await mkdir(join(dir, 'JPEGImages'), { recursive: true });
  await mkdir(join(dir, 'Annotations'), { recursive: true });
  const lines: string[] = [];
  const imagePaths: string[] = [];
  for (let i = 0; i < n; i++) {
    const objects: VocObject[] = [];
    const want = 1 + Math.floor(rng() * (options.maxObjects ?? 3));
    for (let tries = 0; objects.length < want && tries < 50; tries++) {
      const horizontal = rng() < 0.5;
      const long = 22 + Math.floor(rng() * 10);
      const thick = 8 + Math.floor(rng() * 4);
      const bw = horizontal ? long : thick;
      const bh = horizontal ? thick : long;
      const xmin = 2 + Math.floor(rng() * (w - bw - 4));
      const ymin = 2 + Math.floor(rng() * (h - bh - 4));
      const obj: VocObject = {
        name: classes[rng() < 0.5 ? 0 : 1],
        xmin,
        ymin,
        xmax: xmin + bw,
        ymax: ymin + bh,
      };
      if (!objects.some((o) => overlaps(o, obj))) objects.push(obj);
    }
    const rects = objects
      .map((o) => {
        const colour = o.name === classes[0] ? '#d02020' : '#2040d0';
        return `<rect x="${o.xmin}" y="${o.ymin}" width="${o.xmax - o.xmin}" height="${o.ymax - o.ymin}" fill="${colour}"/>`;
      })
      .join('');
    const svg = Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${rects}</svg>`,
    );
    const name = `synthetic-${String(i).padStart(4, '0')}`;
    const imagePath = join(dir, 'JPEGImages', `${name}.${ext}`);
    const img = sharp({
      create: { width: w, height: h, channels: 3, background: { r: 190, g: 190, b: 180 } },
    }).composite([{ input: svg }]);
    await (fmt === 'png' ? img.png() : img.jpeg({ quality: 95 })).toFile(imagePath);
    await writeFile(
      join(dir, 'Annotations', `${name}.xml`),
      formatVoc({ filename: `${name}.${ext}`, width: w, height: h, depth: 3, objects }),
    );
    lines.push(`./JPEGImages/${name}.${ext} ./Annotations/${name}.xml`);
    imagePaths.push(imagePath);
  }
  const indexPath = join(dir, 'index.txt');
  await writeFile(indexPath, lines.join('\n') + '\n');
  return { indexPath, classes: [...classes], imagePaths };
}
