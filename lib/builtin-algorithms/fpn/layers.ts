import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from './params.js';

/** 2-D convolution (NHWC, 'same' padding) with optional bias. Weights are created on first use. */
export function conv(
  p: ParamStore,
  name: string,
  x: tf.Tensor4D,
  outC: number,
  k: number,
  stride = 1,
  opts: { bias?: boolean; std?: number; biasInit?: number } = {},
): tf.Tensor4D {
  const w = p.weight(`${name}/w`, [k, k, x.shape[3], outC], opts.std);
  let y = tf.conv2d(x, w as tf.Tensor4D, stride, 'same');
  if (opts.bias) y = tf.add(y, p.constant(`${name}/b`, [outC], opts.biasInit ?? 0));
  return y;
}

/** Depthwise 3x3 convolution (multiplier 1). */
export function dwConv(p: ParamStore, name: string, x: tf.Tensor4D, stride = 1): tf.Tensor4D {
  const c = x.shape[3];
  const w = p.weight(`${name}/w`, [3, 3, c, 1], Math.sqrt(2 / 9));
  return tf.depthwiseConv2d(x, w as tf.Tensor4D, stride, 'same');
}

/** Number of GroupNorm groups for `c` channels: up to 8, at least 4 channels per group when possible. */
export function groupsFor(c: number): number {
  for (const g of [8, 4, 2]) if (c % g === 0 && c / g >= 4) return g;
  return 1;
}

/**
 * GroupNorm: batch-size independent, so training on 1-2 crops and inference on whole images see
 * the same statistics (BatchNorm's running averages would differ).
 */
export function groupNorm(p: ParamStore, name: string, x: tf.Tensor4D, gammaInit = 1): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const g = groupsFor(c);
  const xr = tf.reshape(x, [n, h, w, g, c / g]);
  const gamma = tf.reshape(p.constant(`${name}/gamma`, [c], gammaInit), [1, 1, 1, g, c / g]);
  const beta = tf.reshape(p.constant(`${name}/beta`, [c], 0), [1, 1, 1, g, c / g]);
  // One scale and shift per (image, channel): five passes over the map instead of seven
  // (mean, mean of squares, then x * scale + shift), which matters at stride 4.
  const mean = tf.mean(xr, [1, 2, 4], true);
  const variance = tf.relu(tf.sub(tf.mean(tf.square(xr), [1, 2, 4], true), tf.square(mean)));
  const scale = tf.mul(tf.rsqrt(tf.add(variance, 1e-5)), gamma);
  const shift = tf.sub(beta, tf.mul(mean, scale));
  return tf.reshape(tf.add(tf.mul(xr, scale), shift), [n, h, w, c]);
}

/** conv → GroupNorm → optional ReLU. */
export function convGn(
  p: ParamStore,
  name: string,
  x: tf.Tensor4D,
  outC: number,
  k: number,
  stride = 1,
  relu = true,
  gammaInit = 1,
): tf.Tensor4D {
  const y = groupNorm(p, `${name}/gn`, conv(p, name, x, outC, k, stride), gammaInit);
  return relu ? tf.relu(y) : y;
}

/** Fully connected layer on `[N, D]`. */
export function dense(p: ParamStore, name: string, x: tf.Tensor2D, out: number, std?: number): tf.Tensor2D {
  const w = p.weight(`${name}/w`, [x.shape[1], out], std);
  return tf.add(tf.matMul(x, w), p.constant(`${name}/b`, [out], 0)) as tf.Tensor2D;
}

/** Nearest-neighbour 2x upsampling (FPN's top-down path). */
export function upsample2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.image.resizeNearestNeighbor(x, [x.shape[1] * 2, x.shape[2] * 2]);
}

/** Stride-2 subsampling (FPN's P6 from P5) with a gradient: reshape and take the even cells. */
export function subsample2(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const ph = h % 2;
  const pw = w % 2;
  const xp =
    ph || pw
      ? tf.pad(x, [
          [0, 0],
          [0, ph],
          [0, pw],
          [0, 0],
        ])
      : x;
  const h2 = (h + ph) / 2;
  const w2 = (w + pw) / 2;
  const r = tf.reshape(xp, [n, h2, 2, w2, 2, c]);
  return tf.reshape(tf.slice(r, [0, 0, 0, 0, 0, 0], [n, h2, 1, w2, 1, c]), [n, h2, w2, c]);
}
