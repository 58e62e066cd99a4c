import sharp, { type Metadata } from 'sharp';
import type { Detection, ImageSource } from '../algorithm-api/types.js';
import { escapeXml } from '../text/escape-xml.js';
import { CorruptImageError } from './corrupt-image-error.js';

const PALETTE = ['#ff3b30', '#34c759', '#007aff', '#ff9500', '#af52de', '#5ac8fa'];

/** Draws detections (original-pixel boxes) with class name and score onto the image; writes a PNG. */
export async function drawDetections(
  source: ImageSource,
  detections: Detection[],
  classes: string[],
  outPath: string,
): Promise<void> {
  const input = typeof source === 'string' ? source : source.data;
  const label = typeof source === 'string' ? source : source.name;
  let meta: Metadata;
  try {
    meta = await sharp(input).metadata();
  } catch (err) {
    throw new CorruptImageError(label, 'not a readable image', { cause: err });
  }
  const w = meta.width ?? 1;
  const h = meta.height ?? 1;
  const shapes = detections.map((d) => {
    const colour = PALETTE[Math.max(0, classes.indexOf(d.class)) % PALETTE.length];
    const { xmin, ymin, xmax, ymax } = d.box;
    const text = `${escapeXml(d.class)} ${d.score.toFixed(2)}`;
    return (
      `<rect x="${xmin}" y="${ymin}" width="${xmax - xmin}" height="${ymax - ymin}" fill="none" stroke="${colour}" stroke-width="2"/>` +
      `<text x="${xmin}" y="${Math.max(10, ymin - 3)}" font-size="11" font-family="sans-serif" fill="${colour}">${text}</text>`
    );
  });
  const svg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${shapes.join('')}</svg>`,
  );
  await sharp(input)
    .composite([{ input: svg, top: 0, left: 0 }])
    .png()
    .toFile(outPath);
}
