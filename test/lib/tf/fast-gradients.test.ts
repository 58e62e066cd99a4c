import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../lib/tf/index.js';

/** Gradients of `f` w.r.t. its inputs, as plain arrays, on the given backend. */
async function gradsOn(
  backend: string,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: () => tf.Tensor[],
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const xs = inputs();
  const gs = tf.grads(f)(xs);
  const out = await Promise.all(gs.map(async (g) => (await g.data()) as Float32Array));
  tf.dispose([...xs, ...gs]);
  return out;
}

function maxRelErr(a: Float32Array, b: Float32Array): number {
  let maxDiff = 0;
  let maxAbs = 1e-6;
  for (let i = 0; i < a.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    maxAbs = Math.max(maxAbs, Math.abs(b[i]));
  }
  return maxDiff / maxAbs;
}

/** Deterministic pseudo-random tensor so both backends see the same numbers. */
function det(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    v[i] = s / 2147483648 - 0.5;
  }
  return tf.tensor(v, shape);
}

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(async () => {
  await tf.setBackend('wasm');
});

describe('fast composite gradients on wasm match the cpu backend', () => {
  const convCases: Array<[string, number[], number[], number, 'same' | 'valid']> = [
    ['3x3 stride 1 same', [2, 9, 7, 3], [3, 3, 3, 5], 1, 'same'],
    ['3x3 stride 2 same', [1, 10, 9, 4], [3, 3, 4, 6], 2, 'same'],
    ['1x1 stride 2 valid', [1, 8, 8, 3], [1, 1, 3, 4], 2, 'valid'],
    ['5x5 stride 2 valid', [1, 11, 12, 2], [5, 5, 2, 3], 2, 'valid'],
  ];
  it.each(convCases)('conv2d %s: dx and dW', async (_name, xs, ws, stride, pad) => {
    const f = (x: tf.Tensor, w: tf.Tensor) =>
      tf.sum(tf.square(tf.mul(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad), tf.scalar(1.5))));
    const inputs = () => [det(xs, 1), det(ws, 2)];
    const cpu = await gradsOn('cpu', f, inputs);
    const wasm = await gradsOn('wasm', f, inputs);
    expect(maxRelErr(wasm[0], cpu[0])).toBeLessThan(1e-4);
    expect(maxRelErr(wasm[1], cpu[1])).toBeLessThan(1e-4);
  });

  it.each([
    [1, 'same'],
    [2, 'same'],
  ] as Array<[number, 'same']>)('depthwise 3x3 stride %d: dx and dW', async (stride, pad) => {
    const f = (x: tf.Tensor, w: tf.Tensor) =>
      tf.sum(tf.square(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad)));
    const inputs = () => [det([1, 9, 10, 4], 3), det([3, 3, 4, 1], 4)];
    const cpu = await gradsOn('cpu', f, inputs);
    const wasm = await gradsOn('wasm', f, inputs);
    expect(maxRelErr(wasm[0], cpu[0])).toBeLessThan(1e-4);
    expect(maxRelErr(wasm[1], cpu[1])).toBeLessThan(1e-4);
  });

  it.each([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ])('matMul transposeA=%s transposeB=%s', async (ta, tb) => {
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(a, b, ta, tb)));
    const inputs = () => [det([2, 5, 5], 5), det([2, 5, 5], 6)];
    const cpu = await gradsOn('cpu', f, inputs);
    const wasm = await gradsOn('wasm', f, inputs);
    expect(maxRelErr(wasm[0], cpu[0])).toBeLessThan(1e-4);
    expect(maxRelErr(wasm[1], cpu[1])).toBeLessThan(1e-4);
  });

  it('UnsortedSegmentSum (the gather gradient) on wasm', async () => {
    const f = (t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, tf.tensor1d([0, 3, 3, 1, 3], 'int32'))));
    const inputs = () => [det([4, 6], 7)];
    const cpu = await gradsOn('cpu', f, inputs);
    const wasm = await gradsOn('wasm', f, inputs);
    expect(maxRelErr(wasm[0], cpu[0])).toBeLessThan(1e-5);
  });

  it('conv2d dW composite agrees with a numerical gradient', async () => {
    await tf.setBackend('wasm');
    const x = det([1, 6, 6, 2], 8) as tf.Tensor4D;
    const w0 = det([3, 3, 2, 2], 9);
    const loss = (w: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, w as tf.Tensor4D, 2, 'same')));
    const g = tf.grad(loss)(w0);
    const analytic = (await g.data()) as Float32Array;
    const wv = (await w0.data()) as Float32Array;
    const eps = 1e-2;
    for (const i of [0, 5, 17, 35]) {
      const plus = wv.slice();
      plus[i] += eps;
      const minus = wv.slice();
      minus[i] -= eps;
      const lp = tf.tidy(() => loss(tf.tensor(plus, w0.shape)).dataSync()[0]);
      const lm = tf.tidy(() => loss(tf.tensor(minus, w0.shape)).dataSync()[0]);
      expect(Math.abs((lp - lm) / (2 * eps) - analytic[i])).toBeLessThan(
        1e-2 * Math.max(1, Math.abs(analytic[i])),
      );
    }
    tf.dispose([x, w0, g]);
  });
});
