import * as tf from '@tensorflow/tfjs-core';
import { activeBackend, initBackend } from '../../../lib/tf/index.js';

describe('initBackend', () => {
  it('rejects an unknown backend with the valid names', async () => {
    await expect(initBackend('gpu' as never)).rejects.toThrow(/auto, tensorflow, wasm, cpu/);
  });

  it('auto falls back from tensorflow (not installed here) to wasm, from local binaries, and says why', async () => {
    const info = await initBackend('auto');
    expect(info.name).toBe('wasm');
    expect(info.reason).toMatch(/no TensorFlow binding/);
    expect(tf.getBackend()).toBe('wasm');
    expect(activeBackend()).toEqual(info);
    // Idempotent: the first choice stays.
    expect(await initBackend('cpu')).toEqual(info);
  });

  it('registers UnsortedSegmentSum for wasm', () => {
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined();
  });
});
