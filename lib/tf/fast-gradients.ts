import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's own gradients: its Node entry registers none (see vendor/build-tfjs-core-gradients.sh).
import './vendor/tfjs-core-gradients.js';
import {
  conv2dFilterGrad,
  conv2dInfo,
  conv2dInputGrad,
  depthwiseFilterGrad,
  depthwiseInputGrad,
  matMulExplicit,
} from './conv-grad-ops.js';

type GradFunc = tf.GradConfig['gradFunc'];
type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

interface ConvAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat?: string;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * The composites only pay (and are only needed) on wasm: the cpu and tensorflow backends have
 * native backprop kernels, so they keep tfjs's own gradients.
 */
function useComposite(): boolean {
  return tf.getBackend() === 'wasm';
}

function override(kernelName: string, build: (original: GradFunc) => GradFunc): void {
  const original = tf.getGradient(kernelName);
  if (!original) throw new Error(`tfjs has no gradient for ${kernelName} to override`);
  const gradFunc = build(original.gradFunc);
  tf.unregisterGradient(kernelName);
  tf.registerGradient({ ...original, gradFunc });
}

/**
 * Conv2D's and DepthwiseConv2dNative's gradients, as composites when `supported` says the kernel's
 * attributes and filter are ones they handle; otherwise tfjs's own.
 */
const convGrad =
  (
    depthwise: boolean,
    supported: (attrs: ConvAttrs, filter: tf.Tensor4D) => boolean,
    inputGrad: typeof conv2dInputGrad,
    filterGrad: typeof conv2dFilterGrad,
  ) =>
  (original: GradFunc): GradFunc =>
  (dy, saved, attrs) => {
    const a = attrs as unknown as ConvAttrs;
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    if (!useComposite() || !supported(a, filter)) return original(dy, saved, attrs);
    const info = conv2dInfo(
      x.shape,
      filter.shape,
      a.strides,
      a.pad,
      a.dilations ?? 1,
      depthwise,
      a.dimRoundingMode,
    );
    const g = dy as tf.Tensor4D;
    return { x: () => inputGrad(g, filter, info), filter: () => filterGrad(x, g, info) };
  };

const conv2dGrad = convGrad(
  false,
  (a) => !a.dataFormat || a.dataFormat === 'NHWC',
  conv2dInputGrad,
  conv2dFilterGrad,
);

// A depth multiplier above 1 keeps tfjs's gradient.
const depthwiseGrad = convGrad(
  true,
  (_a, filter) => filter.shape[3] === 1,
  depthwiseInputGrad,
  depthwiseFilterGrad,
);

const batchMatMulGrad =
  (original: GradFunc): GradFunc =>
  (dy, saved, attrs) => {
    const [a, b] = saved;
    const sameBatch = a.rank === b.rank && a.shape.slice(0, -2).every((d, i) => d === b.shape[i]);
    if (!useComposite() || !sameBatch) return original(dy, saved, attrs);
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const g = dy as tf.Tensor;
    const m = (p: tf.Tensor, q: tf.Tensor, tp: boolean, tq: boolean) => () => matMulExplicit(p, q, tp, tq);
    if (!transposeA && !transposeB) return { a: m(g, b, false, true), b: m(a, g, true, false) };
    if (!transposeA && transposeB) return { a: m(g, b, false, false), b: m(g, a, true, false) };
    if (transposeA && !transposeB) return { a: m(b, g, false, true), b: m(a, g, false, false) };
    return { a: m(b, g, true, true), b: m(g, a, true, true) };
  };

let registered = false;

/**
 * Replaces the gradients of Conv2D, DepthwiseConv2dNative and BatchMatMul by composites that run
 * on XNNPACK's fast forward paths when the backend is wasm (see conv-grad-ops.ts). Idempotent.
 */
export function registerFastGradients(): void {
  if (registered) return;
  registered = true;
  override('Conv2D', conv2dGrad);
  override('DepthwiseConv2dNative', depthwiseGrad);
  override('BatchMatMul', batchMatMulGrad);
}
