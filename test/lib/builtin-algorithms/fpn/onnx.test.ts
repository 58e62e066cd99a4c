/**
 * The ONNX export of the FPN and its ONNX Runtime engine: the suite's detecting model (a tiny FPN
 * that finds boxes, F1 >= 0.8, saved as a model.zip with model.onnx) is loaded with each engine,
 * and both must answer box for box and give the same Ianvs f1_score.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FpnModel } from '../../../../lib/builtin-algorithms/fpn/index.js';
import { FpnWorkerPool } from '../../../../lib/builtin-algorithms/fpn/detector-pool.js';
import { evaluateMetrics } from '../../../../lib/metrics/evaluate.js';
import { loadDataset, type Dataset } from '../../../../lib/dataset/index.js';
import { readManifest, writeModelPackage } from '../../../../lib/model-package/index.js';
import { unpackModel } from '../../../../lib/builtin-algorithms/fpn/model-zip.js';
import { iou } from '../../../../lib/builtin-algorithms/fpn/box-utils.js';
import type { Detection } from '../../../../lib/algorithm-api/index.js';
import { DETECTING_F1_FLOOR, detectingModel } from '../../../support/detecting-model.js';

let work: string;
let zip: string;
let split: Dataset;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'fpn-onnx-'));
  const detecting = await detectingModel();
  zip = detecting.zipPath;
  split = await loadDataset(detecting.test.indexPath);
});
afterAll(() => rm(work, { recursive: true, force: true }));

const overlap = (a: Detection, b: Detection) =>
  iou(
    [a.box.xmin, a.box.ymin, a.box.xmax, a.box.ymax],
    0,
    [b.box.xmin, b.box.ymin, b.box.xmax, b.box.ymax],
    0,
  );

describe('FPN on ONNX Runtime', () => {
  it('model.zip carries model.onnx and box-head.onnx, and the manifest says so', async () => {
    const manifest = await readManifest(zip);
    expect(manifest.files).toEqual(expect.arrayContaining(['model.onnx', 'box-head.onnx', 'weights.bin']));
    expect(manifest.onnx).toEqual({ files: ['model.onnx', 'box-head.onnx'], opset: 13 });
  });

  // ONNX Runtime runs in a worker thread, as the agent runs it (and jest's realm would trip the
  // binding's typed-array checks in-thread); TF.js runs here.
  it('answers as TF.js does: box for box (IoU >= 0.99, score within 1e-3), same f1_score', async () => {
    // A low threshold so that the comparison covers many boxes, not just the confident few.
    const hp = { score_threshold: 0.05 };
    const onnx = await FpnWorkerPool.open(zip, {
      workers: 1,
      overrides: { ...hp, engine: 'onnx', onnx_threads: 1 },
    });
    const tfjs = new FpnModel({ ...hp, engine: 'tfjs' });
    try {
      await tfjs.load(zip);
      expect(onnx.engine).toEqual({
        name: 'onnx',
        note: expect.stringContaining('ONNX Runtime, 1 intra-op'),
      });
      expect(tfjs.engine.name).toBe('tfjs');
      let compared = 0;
      for (const sample of split.samples) {
        const [a, b] = [await onnx.detect(sample.imagePath), await tfjs.detect(sample.imagePath)];
        expect(a.length).toBe(b.length);
        a.forEach((d, i) => {
          expect(d.class).toBe(b[i].class);
          expect(Math.abs(d.score - b[i].score)).toBeLessThanOrEqual(1e-3);
          expect(overlap(d, b[i])).toBeGreaterThanOrEqual(0.99);
        });
        compared += a.length;
      }
      expect(compared).toBeGreaterThan(0);
      const paths = split.samples.map((s) => s.imagePath);
      const classes = [...tfjs.classNames];
      // At the model's own threshold: the Ianvs f1_score of a model that detects, to 4 decimals.
      const onnxAtThreshold = await FpnWorkerPool.open(zip, {
        workers: 1,
        overrides: { engine: 'onnx', onnx_threads: 1 },
      });
      const tfjsAtThreshold = new FpnModel({ engine: 'tfjs' });
      try {
        await tfjsAtThreshold.load(zip);
        const names = ['f1_score', 'mAP50'];
        const fa = await evaluateMetrics(split, await onnxAtThreshold.predict(paths), names, { classes });
        const fb = await evaluateMetrics(split, await tfjsAtThreshold.predict(paths), names, { classes });
        expect(fa.f1_score).toBeGreaterThanOrEqual(DETECTING_F1_FLOOR);
        for (const name of names) expect(fa[name].toFixed(4)).toBe(fb[name].toFixed(4));
      } finally {
        await Promise.all([onnxAtThreshold.close(), tfjsAtThreshold.dispose()]);
      }
    } finally {
      await Promise.all([onnx.close(), tfjs.dispose()]);
    }
  });

  it('serves with ONNX Runtime by default, and with TF.js when asked, saying why', async () => {
    const auto = await FpnWorkerPool.open(zip, { workers: 1 });
    const tfjs = await FpnWorkerPool.open(zip, { workers: 1, overrides: { engine: 'tfjs' } });
    try {
      expect(auto.engine.name).toBe('onnx');
      expect(tfjs.engine).toEqual({ name: 'tfjs', note: expect.stringContaining('engine=tfjs') });
    } finally {
      await Promise.all([auto.close(), tfjs.close()]);
    }
  });

  it('falls back to TF.js, saying why, without model.onnx or when ONNX Runtime cannot load it', async () => {
    const dir = join(work, 'unpacked');
    const manifest = await unpackModel(zip, dir);
    // A checkpoint directory: the TF.js weights without the ONNX graphs.
    await rm(join(dir, 'model.onnx'));
    const plain = new FpnModel({});
    await plain.load(dir);
    expect(plain.engine).toEqual({ name: 'tfjs', note: expect.stringContaining('no model.onnx') });
    expect((await plain.detect(split.samples[0].imagePath)).length).toBeGreaterThanOrEqual(0);
    await plain.dispose();
    await expect(new FpnModel({ engine: 'onnx' }).load(dir)).rejects.toThrow(/no model.onnx/);

    // A package whose model.onnx ONNX Runtime refuses.
    await writeFile(join(dir, 'model.onnx'), 'not an onnx graph');
    await rm(join(dir, 'manifest.json'), { force: true });
    const broken = join(work, 'broken-onnx.zip');
    const { files: _files, ...rest } = manifest;
    await writeModelPackage({ dir, manifest: rest, out: broken });
    // In a worker thread, as the agent serves (ONNX Runtime does not run in jest's own VM context).
    const fallback = await FpnWorkerPool.open(broken, { workers: 1 });
    try {
      expect(fallback.engine).toEqual({ name: 'tfjs', note: expect.stringContaining('ONNX Runtime failed') });
    } finally {
      await fallback.close();
    }
  });
});
