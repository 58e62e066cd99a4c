import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../lib/tf/index.js';

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(async () => {
  await tf.setBackend('wasm');
});

/** Runs `f` on the cpu backend and on wasm (with the replaced kernels) and returns both results. */
async function both(f: () => tf.Tensor): Promise<[number[], number[], number[]]> {
  await tf.setBackend('cpu');
  const c = f();
  const cpu = Array.from(await c.data());
  c.dispose();
  await tf.setBackend('wasm');
  const w = f();
  const wasm = Array.from(await w.data());
  const shape = w.shape;
  w.dispose();
  return [cpu, wasm, shape];
}

const range = (shape: number[]) =>
  tf.reshape(
    tf.range(
      0,
      shape.reduce((a, b) => a * b, 1),
    ),
    shape,
  );

describe('replaced wasm kernels agree with the cpu backend', () => {
  it.each([
    ['rank 2', [5, 7], [1, 2], [3, 4]],
    ['rank 4 inner run', [2, 6, 5, 3], [1, 2, 1, 0], [1, 3, 4, 3]],
    ['rank 4 partial last axis', [2, 4, 6, 8], [0, 1, 1, 2], [2, 2, 4, 5]],
    ['rank 6', [2, 3, 2, 4, 2, 3], [1, 0, 1, 1, 0, 1], [1, 3, 1, 2, 2, 2]],
    ['whole tensor', [3, 4], [0, 0], [3, 4]],
  ])('Slice %s', async (_n, shape, begin, size) => {
    const [cpu, wasm, outShape] = await both(() =>
      tf.slice(range(shape as number[]), begin as number[], size as number[]),
    );
    expect(outShape).toEqual(size);
    expect(wasm).toEqual(cpu);
  });

  it('GatherV2 along axis 0, short and long rows, repeated indices', async () => {
    for (const inner of [3, 100]) {
      const idx = [4, 0, 4, 2, 1];
      const [cpu, wasm] = await both(() => tf.gather(range([5, inner]), tf.tensor1d(idx, 'int32')));
      expect(wasm).toEqual(cpu);
    }
  });

  it('GatherV2 on another axis falls back to the stock kernel', async () => {
    const [cpu, wasm] = await both(() => tf.gather(range([3, 4, 2]), tf.tensor1d([3, 1], 'int32'), 1));
    expect(wasm).toEqual(cpu);
  });

  it('GatherV2 refuses an out-of-range index', async () => {
    await tf.setBackend('wasm');
    expect(() => tf.gather(range([3, 2]), tf.tensor1d([3], 'int32'))).toThrow(/out of range/);
  });

  it('UnsortedSegmentSum skips out-of-range segment ids', async () => {
    const [cpu, wasm] = await both(() =>
      tf.unsortedSegmentSum(range([4, 3]), tf.tensor1d([1, 0, 1, 2], 'int32'), 3),
    );
    expect(wasm).toEqual(cpu);
  });
});
