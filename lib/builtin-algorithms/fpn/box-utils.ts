/** Pure box arithmetic on flat arrays of `[x1, y1, x2, y2]` rows (pixels, continuous coordinates). */

/** Largest log-scale change a delta may apply (Detectron's clamp: boxes at most 1000/16 times bigger). */
const MAX_DWH = Math.log(1000 / 16);

/** Anchors of one level, centred on each cell: ordered y, x, ratio. */
export function levelAnchors(
  height: number,
  width: number,
  stride: number,
  size: number,
  ratios: number[],
): Float32Array {
  const out = new Float32Array(height * width * ratios.length * 4);
  const shapes = ratios.map((r) => [size / Math.sqrt(r), size * Math.sqrt(r)]);
  let k = 0;
  for (let y = 0; y < height; y++) {
    const cy = (y + 0.5) * stride;
    for (let x = 0; x < width; x++) {
      const cx = (x + 0.5) * stride;
      for (const [w, h] of shapes) {
        out[k++] = cx - w / 2;
        out[k++] = cy - h / 2;
        out[k++] = cx + w / 2;
        out[k++] = cy + h / 2;
      }
    }
  }
  return out;
}

/** Anchors of all levels concatenated, plus where each level starts (in anchors). */
export function allAnchors(
  levelSizes: Array<{ height: number; width: number }>,
  strides: number[],
  sizes: number[],
  ratios: number[],
): { anchors: Float32Array; levelStart: number[] } {
  const parts = levelSizes.map((l, i) => levelAnchors(l.height, l.width, strides[i], sizes[i], ratios));
  const total = parts.reduce((a, p) => a + p.length, 0);
  const anchors = new Float32Array(total);
  const levelStart: number[] = [];
  let off = 0;
  for (const p of parts) {
    levelStart.push(off / 4);
    anchors.set(p, off);
    off += p.length;
  }
  levelStart.push(off / 4);
  return { anchors, levelStart };
}

export function area(b: ArrayLike<number>, i: number): number {
  return Math.max(0, b[i * 4 + 2] - b[i * 4]) * Math.max(0, b[i * 4 + 3] - b[i * 4 + 1]);
}

/** IoU of row `i` of `a` and row `j` of `b`. */
export function iou(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number): number {
  const ix1 = Math.max(a[i * 4], b[j * 4]);
  const iy1 = Math.max(a[i * 4 + 1], b[j * 4 + 1]);
  const ix2 = Math.min(a[i * 4 + 2], b[j * 4 + 2]);
  const iy2 = Math.min(a[i * 4 + 3], b[j * 4 + 3]);
  const inter = Math.max(0, ix2 - ix1) * Math.max(0, iy2 - iy1);
  if (inter <= 0) return 0;
  return inter / (area(a, i) + area(b, j) - inter);
}

/** Regression target that turns `src` row i into `dst` row j: (dx, dy, dw, dh) scaled by `w`. */
export function encodeInto(
  out: Float32Array,
  o: number,
  src: ArrayLike<number>,
  i: number,
  dst: ArrayLike<number>,
  j: number,
  w: readonly number[],
): void {
  const sw = src[i * 4 + 2] - src[i * 4];
  const sh = src[i * 4 + 3] - src[i * 4 + 1];
  const sx = src[i * 4] + sw / 2;
  const sy = src[i * 4 + 1] + sh / 2;
  const dw = dst[j * 4 + 2] - dst[j * 4];
  const dh = dst[j * 4 + 3] - dst[j * 4 + 1];
  const dx = dst[j * 4] + dw / 2;
  const dy = dst[j * 4 + 1] + dh / 2;
  out[o] = (w[0] * (dx - sx)) / sw;
  out[o + 1] = (w[1] * (dy - sy)) / sh;
  out[o + 2] = w[2] * Math.log(dw / sw);
  out[o + 3] = w[3] * Math.log(dh / sh);
}

/** Applies deltas (at `d[o..o+3]`) to row i of `src`, clipped to the image; writes a box at `out[k..k+3]`. */
export function decodeInto(
  out: Float32Array,
  k: number,
  src: ArrayLike<number>,
  i: number,
  d: ArrayLike<number>,
  o: number,
  w: readonly number[],
  imgW: number,
  imgH: number,
): void {
  const sw = src[i * 4 + 2] - src[i * 4];
  const sh = src[i * 4 + 3] - src[i * 4 + 1];
  const cx = src[i * 4] + sw / 2 + (d[o] / w[0]) * sw;
  const cy = src[i * 4 + 1] + sh / 2 + (d[o + 1] / w[1]) * sh;
  const bw = Math.exp(Math.min(d[o + 2] / w[2], MAX_DWH)) * sw;
  const bh = Math.exp(Math.min(d[o + 3] / w[3], MAX_DWH)) * sh;
  out[k] = Math.min(Math.max(cx - bw / 2, 0), imgW);
  out[k + 1] = Math.min(Math.max(cy - bh / 2, 0), imgH);
  out[k + 2] = Math.min(Math.max(cx + bw / 2, 0), imgW);
  out[k + 3] = Math.min(Math.max(cy + bh / 2, 0), imgH);
}

/** Indices of `order` (sorted by descending score) kept by greedy NMS, at most `maxOut`. */
export function nms(boxes: Float32Array, order: number[], iouThreshold: number, maxOut: number): number[] {
  const n = order.length;
  // Gathered into flat typed arrays: this loop is O(n * kept) and runs on every image.
  const x1 = new Float32Array(n);
  const y1 = new Float32Array(n);
  const x2 = new Float32Array(n);
  const y2 = new Float32Array(n);
  const ar = new Float32Array(n);
  for (let a = 0; a < n; a++) {
    const o = order[a] * 4;
    x1[a] = boxes[o];
    y1[a] = boxes[o + 1];
    x2[a] = boxes[o + 2];
    y2[a] = boxes[o + 3];
    ar[a] = Math.max(0, x2[a] - x1[a]) * Math.max(0, y2[a] - y1[a]);
  }
  const keep: number[] = [];
  const suppressed = new Uint8Array(n);
  for (let a = 0; a < n && keep.length < maxOut; a++) {
    if (suppressed[a]) continue;
    keep.push(order[a]);
    const ax1 = x1[a];
    const ay1 = y1[a];
    const ax2 = x2[a];
    const ay2 = y2[a];
    const aa = ar[a];
    for (let b = a + 1; b < n; b++) {
      if (suppressed[b]) continue;
      const iw = Math.min(ax2, x2[b]) - Math.max(ax1, x1[b]);
      if (iw <= 0) continue;
      const ih = Math.min(ay2, y2[b]) - Math.max(ay1, y1[b]);
      if (ih <= 0) continue;
      const inter = iw * ih;
      if (inter > iouThreshold * (aa + ar[b] - inter)) suppressed[b] = 1;
    }
  }
  return keep;
}

/** Indices of the `k` largest values of `scores[start..end)`, in descending order. */
export function topK(scores: Float32Array, start: number, end: number, k: number): number[] {
  const n = end - start;
  if (n <= 0) return [];
  let thr = -Infinity;
  if (n > k * 2) {
    // A threshold from a sorted copy of the values keeps exactly the candidates worth sorting.
    const copy = scores.slice(start, end).sort();
    thr = copy[n - k];
  }
  const idx: number[] = [];
  for (let i = start; i < end; i++) if (scores[i] >= thr) idx.push(i);
  idx.sort((a, b) => scores[b] - scores[a]);
  return idx.length > k ? idx.slice(0, k) : idx;
}
