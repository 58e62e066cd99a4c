import * as tf from '@tensorflow/tfjs-core';

/** Geometry of a 2-D convolution, as tfjs computes it (explicit paddings resolved). */
export type ConvInfo = tf.backend_util.Conv2DInfo;

export function conv2dInfo(
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
  dilations: number | [number, number] = 1,
  depthwise = false,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): ConvInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    depthwise,
  );
}

/** Pads the input so that every tap can read `out * stride` rows/cols, rounded up to whole stride phases. */
function padForTaps(x: tf.Tensor4D, info: ConvInfo): tf.Tensor4D {
  const { top, left } = info.padInfo;
  const [n, h, w, c] = x.shape;
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  const needH = Math.ceil(((info.filterHeight - 1) * info.dilationHeight + info.outHeight * sh) / sh) * sh;
  const needW = Math.ceil(((info.filterWidth - 1) * info.dilationWidth + info.outWidth * sw) / sw) * sw;
  const bottom = needH - top - h;
  const right = needW - left - w;
  let xp: tf.Tensor4D = x;
  if (top || left || bottom > 0 || right > 0)
    xp = tf.pad(x, [
      [0, 0],
      [top, Math.max(0, bottom)],
      [left, Math.max(0, right)],
      [0, 0],
    ]);
  if (bottom < 0 || right < 0) xp = tf.slice(xp, [0, 0, 0, 0], [n, needH, needW, c]);
  return xp;
}

/** Tap offsets (y, x) in input pixels, kernel row-major. */
function tapOffsets(info: ConvInfo): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let kh = 0; kh < info.filterHeight; kh++) {
    for (let kw = 0; kw < info.filterWidth; kw++)
      out.push([kh * info.dilationHeight, kw * info.dilationWidth]);
  }
  return out;
}

/**
 * The `[N, Ho, Wo, C]` input window of each kernel tap (NHWC). wasm's StridedSlice and rank-6
 * transposes are very slow, so a stride is handled by one rank-4 phase split and plain slices.
 */
function tapSlicesNhwc(x: tf.Tensor4D, info: ConvInfo): tf.Tensor4D[] {
  const xp = padForTaps(x, info);
  const [n, hh, ww, c] = xp.shape;
  const { strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  if (sh === 1 && sw === 1)
    return tapOffsets(info).map(([y, xx]) => tf.slice(xp, [0, y, xx, 0], [n, oh, ow, c]));
  const hp = hh / sh;
  const wp = ww / sw;
  // [N*hp, sh, wp, sw*C] -> [sh, N*hp, wp, sw*C]: row phase first; the column phase is a channel block.
  const phases = tf.transpose(tf.reshape(xp, [n * hp, sh, wp, sw * c]), [1, 0, 2, 3]);
  return tapOffsets(info).map(([y, xx]) => {
    const ph = tf.reshape(tf.slice(phases, [y % sh, 0, 0, (xx % sw) * c], [1, n * hp, wp, c]), [
      n,
      hp,
      wp,
      c,
    ]) as tf.Tensor4D;
    return tf.slice(ph, [0, Math.floor(y / sh), Math.floor(xx / sw), 0], [n, oh, ow, c]);
  });
}

/**
 * im2col, transposed: `[KH*KW*Ci, N*Ho*Wo]`, rows in the filter's (kh, kw, ci) order. Built from
 * a channel-major copy of the input so that every tap is one contiguous block: the concat is a
 * few memcpys and the matMul that follows needs no transpose.
 */
function im2colT(x: tf.Tensor4D, info: ConvInfo): tf.Tensor2D {
  const xp = padForTaps(x, info);
  const [n, hh, ww, c] = xp.shape;
  const { strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const xt = tf.transpose(xp, [3, 0, 1, 2]); // [C, N, H, W]
  const p = n * oh * ow;
  let taps: tf.Tensor[];
  if (sh === 1 && sw === 1) {
    taps = tapOffsets(info).map(([y, xx]) => tf.slice(xt, [0, 0, y, xx], [c, n, oh, ow]));
  } else {
    const hp = hh / sh;
    const wp = ww / sw;
    const phases = tf.transpose(tf.reshape(xt, [c * n * hp, sh, wp, sw]), [1, 3, 0, 2]); // [sh, sw, C*N*hp, wp]
    taps = tapOffsets(info).map(([y, xx]) => {
      const ph = tf.reshape(tf.slice(phases, [y % sh, xx % sw, 0, 0], [1, 1, c * n * hp, wp]), [
        c,
        n,
        hp,
        wp,
      ]);
      return tf.slice(ph, [0, 0, Math.floor(y / sh), Math.floor(xx / sw)], [c, n, oh, ow]);
    });
  }
  const k = taps.length * c;
  return tf.reshape(taps.length === 1 ? taps[0] : tf.concat(taps, 0), [k, p]);
}

/**
 * Filter gradient of a conv2d (NHWC) as im2col + one plain matMul `colsT · dy`, which lands on
 * XNNPACK's fast GEMM with the small operand (dy) as the packed one (wasm has no
 * `Conv2DBackpropFilter`, and its transposed matMul is ~15x slower).
 */
export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, info: ConvInfo): tf.Tensor4D {
  return tf.tidy(() => {
    const ci = x.shape[3];
    const co = dy.shape[3];
    const rows = x.shape[0] * info.outHeight * info.outWidth;
    const dw = tf.matMul(im2colT(x, info), tf.reshape(dy, [rows, co]));
    return tf.reshape(dw, [info.filterHeight, info.filterWidth, ci, co]) as tf.Tensor4D;
  });
}

/** The kernel flipped in space (rows of `[KH*KW, rest]` in reverse order; wasm's Reverse is slow). */
function flipSpatial(filter: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw, a, b] = filter.shape;
  if (kh * kw === 1) return filter;
  const rev = tf.tensor1d(
    Int32Array.from({ length: kh * kw }, (_, i) => kh * kw - 1 - i),
    'int32',
  );
  return tf.reshape(tf.gather(tf.reshape(filter, [kh * kw, a * b]), rev), [kh, kw, a, b]);
}

/** Inserts `s - 1` zeros between rows and columns: `[N, (H-1)s+1, (W-1)s+1, C]`. */
function dilateSpatial(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [n, h, w, c] = dy.shape;
  const e = tf.reshape(dy, [n, h, 1, w, 1, c]);
  const p = tf.pad(e, [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  const full = tf.reshape(p, [n, h * sh, w * sw, c]) as tf.Tensor4D;
  return tf.slice(full, [0, 0, 0, 0], [n, (h - 1) * sh + 1, (w - 1) * sw + 1, c]);
}

/** Pads (or crops, for negative amounts) the spatial axes of an NHWC tensor. */
function padOrCrop(t: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  let r = t;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [n, h, w, c] = r.shape;
    const t0 = Math.max(0, -top);
    const l0 = Math.max(0, -left);
    r = tf.slice(r, [0, t0, l0, 0], [n, h - t0 - Math.max(0, -bottom), w - l0 - Math.max(0, -right), c]);
  }
  const pt = Math.max(0, top);
  const pb = Math.max(0, bottom);
  const pl = Math.max(0, left);
  const pr = Math.max(0, right);
  return pt || pb || pl || pr
    ? tf.pad(r, [
        [0, 0],
        [pt, pb],
        [pl, pr],
        [0, 0],
      ])
    : r;
}

/** dy dilated by the stride and padded so that a stride-1 correlation with the flipped kernel gives dx. */
function dyForInputGrad(dy: tf.Tensor4D, info: ConvInfo): tf.Tensor4D {
  const dyd = dilateSpatial(dy, info.strideHeight, info.strideWidth);
  const kh = (info.filterHeight - 1) * info.dilationHeight + 1;
  const kw = (info.filterWidth - 1) * info.dilationWidth + 1;
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = info.inHeight - dyd.shape[1] - top + kh - 1;
  const right = info.inWidth - dyd.shape[2] - left + kw - 1;
  return padOrCrop(dyd, top, bottom, left, right);
}

/**
 * Input gradient of a conv2d as a forward conv of the flipped, in/out-swapped kernel over the
 * stride-dilated dy (XNNPACK's forward path instead of wasm's slow `Conv2DBackpropInput`).
 */
export function conv2dInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, info: ConvInfo): tf.Tensor4D {
  return tf.tidy(() => {
    const wf = tf.transpose(flipSpatial(filter), [0, 1, 3, 2]) as tf.Tensor4D;
    const src = dyForInputGrad(dy, info);
    return tf.conv2d(src, wf, 1, 'valid', 'NHWC', [info.dilationHeight, info.dilationWidth]);
  });
}

/** Filter gradient of a depthwise conv (multiplier 1): per tap, a product summed over positions. */
export function depthwiseFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, info: ConvInfo): tf.Tensor4D {
  return tf.tidy(() => {
    const c = x.shape[3];
    const taps = tapSlicesNhwc(x, info).map((t) => tf.sum(tf.mul(t, dy), [0, 1, 2]));
    return tf.reshape(tf.stack(taps), [info.filterHeight, info.filterWidth, c, 1]) as tf.Tensor4D;
  });
}

/** Input gradient of a depthwise conv (multiplier 1): depthwise conv of the flipped kernel over the dilated dy. */
export function depthwiseInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, info: ConvInfo): tf.Tensor4D {
  return tf.tidy(() => {
    const wf = flipSpatial(filter);
    const src = dyForInputGrad(dy, info);
    return tf.depthwiseConv2d(src, wf, 1, 'valid', 'NHWC', [info.dilationHeight, info.dilationWidth]);
  });
}

/** Swaps the last two axes (an explicit transpose, so the following matMul needs no flag). */
export function transposeLast2(t: tf.Tensor): tf.Tensor {
  const r = t.rank;
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(t, perm);
}

/** matMul with transposes done explicitly first: wasm's transposed matMul runs ~15x slower. */
export function matMulExplicit(
  a: tf.Tensor,
  b: tf.Tensor,
  transposeA: boolean,
  transposeB: boolean,
): tf.Tensor {
  return tf.matMul(transposeA ? transposeLast2(a) : a, transposeB ? transposeLast2(b) : b);
}
