import * as tf from '@tensorflow/tfjs-core';

/** One feature level inside a row-flattened feature table (`[rows, C]`). */
export interface FlatLevel {
  /** First row of this level in the table. */
  rowOffset: number;
  /** Batch size, height and width of the level's map. */
  batch: number;
  height: number;
  width: number;
  /** Pixels of the input image per feature cell. */
  stride: number;
}

/** Which rows to read and how much of each, per output bin sample (4 bilinear corners). */
export interface RoiAlignPlan {
  rois: number;
  outSize: number;
  samples: number;
  /** `rois * outSize² * samples² * 4` row indices into the feature table. */
  indices: Int32Array;
  /** Matching bilinear weights, already divided by the number of samples per bin. */
  weights: Float32Array;
}

export interface RoiRequest {
  /** Image index in the batch. */
  batch: number;
  /** Index into the `levels` array. */
  level: number;
  /** Box in input image pixels: x1, y1, x2, y2. */
  box: [number, number, number, number];
}

/**
 * Plans ROI Align (Detectron2's `aligned=True` convention: pixel centres at +0.5) as row gathers
 * with bilinear weights. Pure: rebuilt from plain numbers, so no gradient reaches the boxes,
 * which is what Faster R-CNN needs (tfjs has no stopGradient).
 */
export function planRoiAlign(
  levels: FlatLevel[],
  rois: RoiRequest[],
  outSize: number,
  samples = 1,
): RoiAlignPlan {
  const perRoi = outSize * outSize * samples * samples * 4;
  const indices = new Int32Array(rois.length * perRoi);
  const weights = new Float32Array(rois.length * perRoi);
  const norm = 1 / (samples * samples);
  let k = 0;
  for (const roi of rois) {
    const lv = levels[roi.level];
    const s = 1 / lv.stride;
    const base = lv.rowOffset + roi.batch * lv.height * lv.width;
    const x1 = roi.box[0] * s - 0.5;
    const y1 = roi.box[1] * s - 0.5;
    const binW = ((roi.box[2] - roi.box[0]) * s) / outSize;
    const binH = ((roi.box[3] - roi.box[1]) * s) / outSize;
    for (let by = 0; by < outSize; by++) {
      for (let bx = 0; bx < outSize; bx++) {
        for (let sy = 0; sy < samples; sy++) {
          const y = y1 + by * binH + ((sy + 0.5) * binH) / samples;
          for (let sx = 0; sx < samples; sx++) {
            const x = x1 + bx * binW + ((sx + 0.5) * binW) / samples;
            k = writeBilinear(indices, weights, k, base, lv.height, lv.width, y, x, norm);
          }
        }
      }
    }
  }
  return { rois: rois.length, outSize, samples, indices, weights };
}

/** Writes the 4 corner rows and weights of one bilinear sample; out-of-map samples get weight 0. */
function writeBilinear(
  idx: Int32Array,
  w: Float32Array,
  k: number,
  base: number,
  h: number,
  wd: number,
  y: number,
  x: number,
  norm: number,
): number {
  if (y < -1 || y > h || x < -1 || x > wd) {
    for (let i = 0; i < 4; i++) {
      idx[k + i] = base;
      w[k + i] = 0;
    }
    return k + 4;
  }
  const yc = Math.min(Math.max(y, 0), h - 1);
  const xc = Math.min(Math.max(x, 0), wd - 1);
  const y0 = Math.floor(yc);
  const x0 = Math.floor(xc);
  const y1 = Math.min(y0 + 1, h - 1);
  const x1 = Math.min(x0 + 1, wd - 1);
  const ly = yc - y0;
  const lx = xc - x0;
  idx[k] = base + y0 * wd + x0;
  idx[k + 1] = base + y0 * wd + x1;
  idx[k + 2] = base + y1 * wd + x0;
  idx[k + 3] = base + y1 * wd + x1;
  w[k] = (1 - ly) * (1 - lx) * norm;
  w[k + 1] = (1 - ly) * lx * norm;
  w[k + 2] = ly * (1 - lx) * norm;
  w[k + 3] = ly * lx * norm;
  return k + 4;
}

/** Flattens NHWC maps into one `[rows, C]` table (differentiable: reshape + concat). */
export function flattenLevels(
  maps: tf.Tensor4D[],
  strides: number[],
): { table: tf.Tensor2D; levels: FlatLevel[] } {
  const levels: FlatLevel[] = [];
  let row = 0;
  const parts = maps.map((m, i) => {
    const [n, h, w, c] = m.shape;
    levels.push({ rowOffset: row, batch: n, height: h, width: w, stride: strides[i] });
    row += n * h * w;
    return tf.reshape(m, [n * h * w, c]);
  });
  const table = (parts.length === 1 ? parts[0] : tf.concat(parts, 0)) as tf.Tensor2D;
  return { table, levels };
}

/**
 * ROI Align as a gather of corner rows, bilinear weights and a sum: `[R, out, out, C]`. Every op
 * has a gradient (GatherV2's needs UnsortedSegmentSum, registered for wasm in wasm-kernels.ts).
 */
export function roiAlign(table: tf.Tensor2D, plan: RoiAlignPlan): tf.Tensor4D {
  return tf.tidy(() => {
    const c = table.shape[1];
    const k = plan.samples * plan.samples * 4;
    const bins = plan.rois * plan.outSize * plan.outSize;
    const idx = tf.tensor1d(plan.indices, 'int32');
    const w = tf.tensor3d(plan.weights, [bins, k, 1]);
    const rows = tf.reshape(tf.gather(table, idx), [bins, k, c]);
    return tf.reshape(tf.sum(tf.mul(rows, w), 1), [plan.rois, plan.outSize, plan.outSize, c]) as tf.Tensor4D;
  });
}
