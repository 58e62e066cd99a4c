import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  ClassFactory,
  ClassType,
  type BaseModelConstructor,
  type TrainProgress,
} from '../../../../lib/algorithm/index.js';
import '../../../../lib/algorithms/index.js';
import { FpnModel } from '../../../../lib/algorithms/fpn/index.js';
import {
  writeSyntheticDataset,
  type SyntheticDataset,
} from '../../../../lib/algorithms/fpn/synthetic-dataset.js';
import { loadDataset, type Dataset } from '../../../../lib/dataset/index.js';
import { readManifest } from '../../../../lib/model-package/index.js';
import { CorruptImageError } from '../../../../lib/image/index.js';
import { initBackend } from '../../../../lib/tf/index.js';

let dir: string;
let synth: SyntheticDataset;
let data: Dataset;
let model: FpnModel;
const progress: TrainProgress[] = [];
let checkpointDir: string;
const zip = () => join(dir, 'model.zip');

beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'edge-stl-fpn-'));
  synth = await writeSyntheticDataset(join(dir, 'data'), { images: 6, seed: 3 });
  data = await loadDataset(synth.indexPath);
  model = new FpnModel({ preset: 'tiny', max_iteration: 24 });
  checkpointDir = await model.train(data, undefined, {
    workDir: join(dir, 'work'),
    onProgress: (p) => progress.push(p),
  });
});

afterAll(async () => {
  await model?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('FPN (tiny preset)', () => {
  it('is registered in the ClassFactory as general/FPN', () => {
    const Cls = ClassFactory.get<BaseModelConstructor>(ClassType.GENERAL, 'FPN');
    expect(Cls).toBe(FpnModel);
  });

  it('reports progress every iteration and the loss goes down', () => {
    expect(progress.map((p) => p.iteration)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(Object.keys(progress[0].lossParts).sort()).toEqual(['rcnn_box', 'rcnn_cls', 'rpn_box', 'rpn_cls']);
    const mean = (ps: TrainProgress[]) => ps.reduce((s, p) => s + p.loss, 0) / ps.length;
    expect(mean(progress.slice(-6))).toBeLessThan(0.7 * mean(progress.slice(0, 6)));
    expect(checkpointDir).toMatch(/checkpoint-000024$/);
  });

  it('predict gives one entry per class per image, rows [ymin, xmin, ymax, xmax, score] in the 640 frame', async () => {
    const dict = await model.predict(synth.imagePaths.slice(0, 2));
    expect(Object.keys(dict)).toEqual(['synthetic-0000.jpeg', 'synthetic-0001.jpeg']);
    for (const entries of Object.values(dict)) {
      expect(entries.map((e) => e.name)).toEqual(synth.classes);
      for (const row of entries.flatMap((e) => e.bbox)) {
        expect(row).toHaveLength(5);
        const [ymin, xmin, ymax, xmax, score] = row;
        // 128x96 images: the 640-short-side frame is 853x640.
        expect(xmin).toBeGreaterThanOrEqual(0);
        expect(xmax).toBeLessThanOrEqual(853.34);
        expect(ymax).toBeLessThanOrEqual(640.01);
        expect(ymin).toBeLessThan(ymax);
        expect(score).toBeGreaterThanOrEqual(0.3);
        expect(score).toBeLessThanOrEqual(1);
      }
    }
  });

  it('detect gives original-pixel boxes consistent with predict', async () => {
    const [dets, dict] = await Promise.all([
      model.detect(synth.imagePaths[0]),
      model.predict([synth.imagePaths[0]]),
    ]);
    const rows = dict['synthetic-0000.jpeg'].flatMap((e) => e.bbox.map((b) => ({ name: e.name, b })));
    expect(dets).toHaveLength(rows.length);
    for (const d of dets) {
      expect(synth.classes).toContain(d.class);
      const match = rows.find((r) => r.name === d.class && Math.abs(r.b[4] - d.score) < 1e-6);
      expect(match).toBeDefined();
      expect(d.box.xmin * (640 / 96)).toBeCloseTo(match!.b[1], 1);
      expect(d.box.ymax * (640 / 96)).toBeCloseTo(match!.b[2], 1);
    }
  });

  it('save writes a model.zip with a manifest; load restores identical predictions', async () => {
    await model.save(zip());
    const manifest = await readManifest(zip());
    expect(manifest).toMatchObject({
      algorithm: 'FPN',
      classes: synth.classes,
      inputShortSide: 96,
      parentVersion: null,
    });
    expect(manifest.files.sort()).toEqual(['model.json', 'weights.bin']);
    expect(manifest.hyperparameters).toMatchObject({ preset: 'tiny', max_iteration: 24 });
    const before = await model.predict(synth.imagePaths);
    const loaded = new FpnModel();
    try {
      await loaded.load(zip());
      expect(loaded.config.preset).toBe('tiny');
      expect(await loaded.predict(synth.imagePaths)).toEqual(before);
    } finally {
      await loaded.dispose();
    }
  });

  it('does not leak tensors across predictions and training steps', async () => {
    await model.predict([synth.imagePaths[0]]);
    const n0 = tf.memory().numTensors;
    await model.predict(synth.imagePaths.slice(0, 3));
    await model.detect(synth.imagePaths[1]);
    expect(tf.memory().numTensors).toBe(n0);
    const counts: number[] = [];
    const m = new FpnModel({ preset: 'tiny', max_iteration: 4 });
    try {
      await m.train(data, undefined, {
        workDir: join(dir, 'leak'),
        onProgress: () => counts.push(tf.memory().numTensors),
      });
    } finally {
      await m.dispose();
    }
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(n0);
  });

  it('trains data-parallel on worker threads (batches and a replica) and resumes from a checkpoint', async () => {
    const checkpoints: string[] = [];
    const m = new FpnModel({ preset: 'tiny', max_iteration: 4, data_workers: 1, train_workers: 1 });
    const its: number[] = [];
    try {
      const last = await m.train(data, undefined, {
        workDir: join(dir, 'w1'),
        checkpointEvery: 2,
        onCheckpoint: (d) => void checkpoints.push(d),
        onProgress: (p) => its.push(p.iteration),
      });
      expect(its).toEqual([1, 2, 3, 4]);
      expect(checkpoints.map((c) => c.slice(-6))).toEqual(['000002', '000004']);
      expect(last).toBe(checkpoints[1]);
    } finally {
      await m.dispose();
    }
    const resumed = new FpnModel({ preset: 'tiny', max_iteration: 6, data_workers: 1 });
    const more: number[] = [];
    try {
      await resumed.train(data, undefined, {
        workDir: join(dir, 'w2'),
        resumeFrom: checkpoints[1],
        onProgress: (p) => more.push(p.iteration),
      });
      expect(more).toEqual([5, 6]);
    } finally {
      await resumed.dispose();
    }
  });

  it('an abort stops after the current step and returns its checkpoint', async () => {
    const controller = new AbortController();
    const m = new FpnModel({ preset: 'tiny', max_iteration: 50 });
    try {
      const ckpt = await m.train(data, undefined, {
        workDir: join(dir, 'abort'),
        signal: controller.signal,
        onProgress: (p) => {
          if (p.iteration === 2) controller.abort();
        },
      });
      expect(ckpt).toMatch(/checkpoint-000002$/);
    } finally {
      await m.dispose();
    }
  });

  it('a corrupt image gives CorruptImageError naming it', async () => {
    const bad = join(dir, 'bad.jpeg');
    await writeFile(bad, 'not an image');
    await expect(model.predict([synth.imagePaths[0], bad])).rejects.toThrow(CorruptImageError);
    await expect(model.detect({ name: 'upload.png', data: Buffer.from('xx') })).rejects.toThrow(
      /upload\.png/,
    );
  });
});
