import { mapLimit } from '../../each-limit.js';
import { readVocFile } from '../../dataset/voc.js';
import type { Dataset } from '../../dataset/types.js';
import { loadImage } from '../../image/decode.js';
import type { GtBoxes } from './targets.js';

/** A training image, resized so its short side is `short_side`, with its boxes in that frame. */
export interface TrainImage {
  name: string;
  data: Uint8Array;
  width: number;
  height: number;
  gt: GtBoxes;
}

/** Class names found in the annotations, sorted (the label map when none is given). */
export async function classesOf(dataset: Dataset): Promise<string[]> {
  const names = new Set<string>();
  for (const s of dataset.samples) {
    if (!s.annotationPath) continue;
    for (const o of (await readVocFile(s.annotationPath)).objects) names.add(o.name);
  }
  return [...names].sort();
}

/**
 * Decodes and resizes every labeled image once (sharp runs on libuv's threads, off the main
 * thread) and keeps the bytes in memory: 240 PCB images at 640 px take about 300 MB, and each
 * step then only crops. VOC coordinates are kept as given (no -1 shift), so predictions come out
 * in the convention the metrics compare against.
 */
export async function loadTrainImages(
  dataset: Dataset,
  classes: string[],
  shortSide: number,
): Promise<TrainImage[]> {
  const labeled = dataset.samples.filter((s) => s.annotationPath);
  return mapLimit(labeled, 4, async (s) => {
    const [img, ann] = await Promise.all([loadImage(s.imagePath, shortSide), readVocFile(s.annotationPath!)]);
    const objs = ann.objects.filter((o) => classes.includes(o.name));
    const boxes = new Float32Array(objs.length * 4);
    const labels = new Int32Array(objs.length);
    objs.forEach((o, i) => {
      boxes.set([o.xmin * img.scaleX, o.ymin * img.scaleY, o.xmax * img.scaleX, o.ymax * img.scaleY], i * 4);
      labels[i] = classes.indexOf(o.name) + 1;
    });
    return { name: img.name, data: img.data, width: img.width, height: img.height, gt: { boxes, labels } };
  });
}

/** Augmentation switches of one crop. */
export interface CropOptions {
  size: number;
  onObject: number;
  flip: boolean;
  transpose: boolean;
}

/**
 * A random `size x size` crop (zero-padded if the image is smaller), centred around a random box
 * with probability `onObject`, then random horizontal/vertical flips and transpose. Boxes less
 * than half inside the crop are dropped.
 */
export function randomCrop(
  img: TrainImage,
  opts: CropOptions,
  rng: () => number,
): { data: Uint8Array; gt: GtBoxes } {
  const cs = opts.size;
  const n = img.gt.labels.length;
  let ox = Math.floor(rng() * Math.max(0, img.width - cs + 1));
  let oy = Math.floor(rng() * Math.max(0, img.height - cs + 1));
  if (n > 0 && rng() < opts.onObject) {
    const b = img.gt.boxes.subarray(Math.floor(rng() * n) * 4);
    const pick = (lo: number, hi: number, max: number) => {
      const a = Math.max(0, Math.ceil(hi - cs));
      const z = Math.min(Math.floor(lo), Math.max(0, max - cs));
      return z >= a ? a + Math.floor(rng() * (z - a + 1)) : Math.max(0, Math.min(a, max - cs));
    };
    ox = pick(b[0], b[2], img.width);
    oy = pick(b[1], b[3], img.height);
  }
  const fh = opts.flip && rng() < 0.5;
  const fv = opts.flip && rng() < 0.5;
  const tr = opts.transpose && rng() < 0.5;
  const data = new Uint8Array(cs * cs * 3);
  for (let y = 0; y < cs; y++) {
    for (let x = 0; x < cs; x++) {
      const ty = tr ? x : y;
      const tx = tr ? y : x;
      const sy = oy + (fv ? cs - 1 - ty : ty);
      const sx = ox + (fh ? cs - 1 - tx : tx);
      if (sy >= img.height || sx >= img.width) continue;
      const o = (y * cs + x) * 3;
      const i = (sy * img.width + sx) * 3;
      data[o] = img.data[i];
      data[o + 1] = img.data[i + 1];
      data[o + 2] = img.data[i + 2];
    }
  }
  const boxes: number[] = [];
  const labels: number[] = [];
  for (let j = 0; j < n; j++) {
    const b = img.gt.boxes.subarray(j * 4, j * 4 + 4);
    let x1 = Math.max(b[0] - ox, 0);
    let y1 = Math.max(b[1] - oy, 0);
    let x2 = Math.min(b[2] - ox, cs);
    let y2 = Math.min(b[3] - oy, cs);
    const inside =
      (Math.max(0, x2 - x1) * Math.max(0, y2 - y1)) / Math.max(1e-6, (b[2] - b[0]) * (b[3] - b[1]));
    if (inside < 0.5 || x2 - x1 < 2 || y2 - y1 < 2) continue;
    if (fh) [x1, x2] = [cs - x2, cs - x1];
    if (fv) [y1, y2] = [cs - y2, cs - y1];
    if (tr) [x1, y1, x2, y2] = [y1, x1, y2, x2];
    boxes.push(x1, y1, x2, y2);
    labels.push(img.gt.labels[j]);
  }
  return { data, gt: { boxes: Float32Array.from(boxes), labels: Int32Array.from(labels) } };
}
