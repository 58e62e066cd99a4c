import * as tf from '@tensorflow/tfjs-core';
import { flattenLevels, initBackend, planRoiAlign, roiAlign } from '../../../lib/tf/index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Reference bilinear sample of an HWC map at continuous (y, x), with the aligned (-0.5) convention. */
function bilinear(
  map: Float32Array,
  h: number,
  w: number,
  c: number,
  y: number,
  x: number,
  ch: number,
): number {
  if (y < -1 || y > h || x < -1 || x > w) return 0;
  const yc = Math.min(Math.max(y, 0), h - 1);
  const xc = Math.min(Math.max(x, 0), w - 1);
  const y0 = Math.floor(yc);
  const x0 = Math.floor(xc);
  const y1 = Math.min(y0 + 1, h - 1);
  const x1 = Math.min(x0 + 1, w - 1);
  const ly = yc - y0;
  const lx = xc - x0;
  const v = (yy: number, xx: number) => map[(yy * w + xx) * c + ch];
  return (
    (1 - ly) * (1 - lx) * v(y0, x0) +
    (1 - ly) * lx * v(y0, x1) +
    ly * (1 - lx) * v(y1, x0) +
    ly * lx * v(y1, x1)
  );
}

describe('roiAlign', () => {
  const h = 8;
  const w = 10;
  const c = 3;
  const values = Float32Array.from({ length: 2 * h * w * c }, (_, i) => Math.sin(i * 0.37));

  it('matches a direct bilinear reference on two levels and two images', async () => {
    const p2 = tf.tensor4d(values, [2, h, w, c]);
    const p3 = tf.tensor4d(values.slice(0, 2 * (h / 2) * (w / 2) * c), [2, h / 2, w / 2, c]);
    const { table, levels } = flattenLevels([p2, p3], [4, 8]);
    const rois = [
      { batch: 1, level: 0, box: [3, 5, 22, 17] as [number, number, number, number] },
      { batch: 0, level: 1, box: [0, 0, 30, 25] as [number, number, number, number] },
    ];
    const plan = planRoiAlign(levels, rois, 2, 2);
    const out = await roiAlign(table, plan).data();
    const m1 = values.subarray(h * w * c, 2 * h * w * c);
    // Reference for ROI 0, bin (1, 0), channel 2: mean of 2x2 samples.
    const [x1, y1, x2, y2] = rois[0].box.map((v) => v / 4);
    const bw = (x2 - x1) / 2;
    const bh = (y2 - y1) / 2;
    let ref = 0;
    for (const sy of [0.25, 0.75])
      for (const sx of [0.25, 0.75])
        ref += bilinear(m1, h, w, c, y1 - 0.5 + (1 + sy) * bh, x1 - 0.5 + sx * bw, 2) / 4;
    expect(out[(0 * 4 + 1 * 2 + 0) * c + 2]).toBeCloseTo(ref, 5);
    tf.dispose([p2, p3, table]);
  });

  it('has a gradient w.r.t. the features that matches a numerical one (wasm UnsortedSegmentSum)', async () => {
    const m = tf.tensor4d(values.slice(0, h * w * c), [1, h, w, c]);
    const { table, levels } = flattenLevels([m], [2]);
    const plan = planRoiAlign(levels, [{ batch: 0, level: 0, box: [1.3, 2.1, 15.2, 11.7] }], 3, 1);
    const weights = tf.tensor4d(
      Float32Array.from({ length: 9 * c }, (_, i) => Math.cos(i)),
      [1, 3, 3, c],
    );
    const loss = (t: tf.Tensor) => tf.sum(tf.mul(roiAlign(t as tf.Tensor2D, plan), weights));
    const g = (await tf.grad(loss)(table).data()) as Float32Array;
    const base = (await table.data()) as Float32Array;
    const eps = 1e-2;
    let checked = 0;
    for (let i = 0; i < base.length; i += 7) {
      const plus = base.slice();
      plus[i] += eps;
      const minus = base.slice();
      minus[i] -= eps;
      const lp = tf.tidy(() => loss(tf.tensor2d(plus, table.shape)).dataSync()[0]);
      const lm = tf.tidy(() => loss(tf.tensor2d(minus, table.shape)).dataSync()[0]);
      expect(Math.abs((lp - lm) / (2 * eps) - g[i])).toBeLessThan(2e-3);
      if (g[i] !== 0) checked++;
    }
    expect(checked).toBeGreaterThan(3);
    tf.dispose([m, table, weights]);
  });

  it('gives zeros for a region entirely outside the map', async () => {
    const m = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
    const { table, levels } = flattenLevels([m], [1]);
    const out = await roiAlign(
      table,
      planRoiAlign(levels, [{ batch: 0, level: 0, box: [20, 20, 30, 30] }], 2),
    ).data();
    expect(Array.from(out)).toEqual([0, 0, 0, 0]);
    tf.dispose([m, table]);
  });
});
