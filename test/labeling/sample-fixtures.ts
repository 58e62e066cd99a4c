import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { sampleKey } from '../../lib/storage/layout.js';
import type { ObjectStore } from '../../lib/storage/object-store.js';

export interface FixtureBox {
  class: string;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

/** A small JPEG: plain background with filled rectangles (the "objects"); `seed` varies the colours. */
export async function makeJpeg(
  width: number,
  height: number,
  boxes: FixtureBox[],
  seed = 0,
): Promise<Buffer> {
  const rects = boxes
    .map(
      (b, i) =>
        `<rect x="${b.xmin}" y="${b.ymin}" width="${b.xmax - b.xmin}" height="${b.ymax - b.ymin}" fill="rgb(${(40 * i + seed * 7) % 255},${(90 + seed * 13) % 255},200)"/>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="rgb(${(seed * 31) % 255},240,235)"/>${rects}</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Uploads an edge sample the way the edge agent does: the image, then its JSON record (id = sha256
 * of the image bytes), with the edge model's detections.
 */
export async function putSample(
  store: ObjectStore,
  bucket: string,
  ref: { namespace: string; job: string; node: string },
  jpeg: Buffer,
  detections: Array<{
    class: string;
    score: number;
    box: { xmin: number; ymin: number; xmax: number; ymax: number };
  }>,
): Promise<string> {
  const id = sha256(jpeg);
  const meta = await sharp(jpeg).metadata();
  await store.putObject(bucket, sampleKey(ref.namespace, ref.job, ref.node, id, 'jpeg'), jpeg, {
    contentType: 'image/jpeg',
  });
  const record = {
    id,
    job: { namespace: ref.namespace, name: ref.job },
    node: ref.node,
    bucket,
    createdAt: new Date().toISOString(),
    model: { job: ref.job, version: 'v0' },
    reason: 'ibt',
    image: { width: meta.width, height: meta.height, format: 'jpeg' },
    detections,
  };
  await store.putObject(
    bucket,
    sampleKey(ref.namespace, ref.job, ref.node, id, 'json'),
    JSON.stringify(record),
    {
      contentType: 'application/json',
    },
  );
  return id;
}
