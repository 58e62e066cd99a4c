import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  ClassFactory,
  ClassType,
  type BaseModelConstructor,
  type TrainProgress,
} from '../../../../lib/algorithm-api/index.js';
import '../../../../lib/builtin-algorithms/index.js';
import { FpnModel } from '../../../../lib/builtin-algorithms/fpn/index.js';
import {
  writeSyntheticDataset,
  type SyntheticDataset,
} from '../../../../lib/builtin-algorithms/fpn/synthetic-dataset.js';
import { readCheckpoint } from '../../../../lib/builtin-algorithms/fpn/checkpoint.js';
import type { PredictDict } from '../../../../lib/algorithm-api/index.js';
import { loadDataset, type Dataset } from '../../../../lib/dataset/index.js';
import { readManifest } from '../../../../lib/model-package/index.js';
import { CorruptImageError } from '../../../../lib/image/index.js';
import { initBackend } from '../../../../lib/tf/index.js';
import {
  DETECTING_F1_FLOOR,
  DETECTING_MODEL_HP,
  detectingModel,
  type DetectingModel,
} from '../../../support/detecting-model.js';

/** Every [ymin, xmin, ymax, xmax, score] row of a predict_dict image. */
const rowsOf = (dict: PredictDict, image: string) => dict[image].flatMap((e) => e.bbox);

/** Same images, classes and rows; every number equal to 1e-5 relative. */
function expectSamePredictions(actual: PredictDict, expected: PredictDict): void {
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  for (const [image, entries] of Object.entries(expected)) {
    expect(actual[image].map((e) => e.name)).toEqual(entries.map((e) => e.name));
    entries.forEach((entry, i) => {
      const got = actual[image][i].bbox;
      expect(got).toHaveLength(entry.bbox.length);
      entry.bbox.forEach((row, j) =>
        row.forEach((v, k) => {
          const tolerance = 1e-5 * Math.max(Math.abs(v), Math.abs(got[j][k]));
          if (Math.abs(got[j][k] - v) > tolerance)
            throw new Error(`${image} ${entry.name} row ${j} column ${k}: ${got[j][k]} != ${v}`);
        }),
      );
    });
  }
}

let dir: string;
let synth: SyntheticDataset;
let data: Dataset;
let model: FpnModel;
const progress: TrainProgress[] = [];
let checkpointDir: string;
const zip = () => join(dir, 'model.zip');
/** The suite's detecting model (test/support/detecting-model.ts) and its held-out images. */
let fixture: DetectingModel;
let detecting: FpnModel;

beforeAll(async () => {
  await initBackend('wasm');
  fixture = await detectingModel();
  detecting = new FpnModel();
  await detecting.load(fixture.zipPath);
  dir = await mkdtemp(join(tmpdir(), 'edge-stl-fpn-'));
  synth = await writeSyntheticDataset(join(dir, 'data'), { images: 6, seed: 3 });
  data = await loadDataset(synth.indexPath);
  model = new FpnModel({ preset: 'tiny', max_iteration: 24 });
  checkpointDir = await model.train(data, undefined, {
    workDir: join(dir, 'work'),
    onProgress: (p) => progress.push(p),
  });
  // The first use in a suite run trains the detecting model (about 30 s quiet, more when busy).
}, 600_000);

afterAll(async () => {
  await model?.dispose();
  await detecting?.dispose();
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

  it('the detecting model finds the objects of its held-out images: F1 >= 0.8', async () => {
    const metrics = await detecting.evaluate(await loadDataset(fixture.test.indexPath), undefined);
    expect(metrics.f1_score).toBeGreaterThanOrEqual(DETECTING_F1_FLOOR);
  });

  it('predict gives one entry per class per image, rows [ymin, xmin, ymax, xmax, score] in the 640 frame', async () => {
    const images = fixture.test.imagePaths.slice(0, 2);
    const dict = await detecting.predict(images);
    expect(Object.keys(dict)).toEqual(['synthetic-0000.jpeg', 'synthetic-0001.jpeg']);
    for (const [image, entries] of Object.entries(dict)) {
      expect(entries.map((e) => e.name)).toEqual(fixture.test.classes);
      // Every generated image has at least one object: the row checks below must run.
      expect(rowsOf(dict, image).length).toBeGreaterThanOrEqual(1);
      for (const row of rowsOf(dict, image)) {
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
    const image = fixture.test.imagePaths[0];
    const [dets, dict] = await Promise.all([detecting.detect(image), detecting.predict([image])]);
    const rows = dict['synthetic-0000.jpeg'].flatMap((e) => e.bbox.map((b) => ({ name: e.name, b })));
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(dets).toHaveLength(rows.length);
    for (const d of dets) {
      expect(fixture.test.classes).toContain(d.class);
      const match = rows.find((r) => r.name === d.class && Math.abs(r.b[4] - d.score) < 1e-6);
      expect(match).toBeDefined();
      // 128x96 original pixels to the 853x640 frame (Ianvs's integer frame width).
      const [sx, sy] = [853 / 128, 640 / 96];
      expect(d.box.xmin * sx).toBeCloseTo(match!.b[1], 1);
      expect(d.box.ymin * sy).toBeCloseTo(match!.b[0], 1);
      expect(d.box.xmax * sx).toBeCloseTo(match!.b[3], 1);
      expect(d.box.ymax * sy).toBeCloseTo(match!.b[2], 1);
    }
  });

  it('save writes a model.zip with a manifest; load restores the same predictions', async () => {
    await detecting.save(zip());
    const manifest = await readManifest(zip());
    expect(manifest).toMatchObject({
      algorithm: 'FPN',
      classes: fixture.test.classes,
      inputShortSide: 96,
      parentVersion: null,
    });
    expect(manifest.files.sort()).toEqual(['box-head.onnx', 'model.json', 'model.onnx', 'weights.bin']);
    expect(manifest.hyperparameters).toMatchObject(DETECTING_MODEL_HP);
    const before = await detecting.predict(fixture.test.imagePaths);
    // A load that gives some other model that detects nothing must not compare two empty results.
    for (const image of Object.keys(before)) expect(rowsOf(before, image).length).toBeGreaterThanOrEqual(1);
    const loaded = new FpnModel();
    try {
      await loaded.load(zip());
      expect(loaded.config.preset).toBe('tiny');
      expectSamePredictions(await loaded.predict(fixture.test.imagePaths), before);
      // Same predictions could also come from two untrained nets built from the same seed: the
      // loaded one must be the trained one.
      const metrics = await loaded.evaluate(await loadDataset(fixture.test.indexPath), undefined);
      expect(metrics.f1_score).toBeGreaterThanOrEqual(DETECTING_F1_FLOOR);
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
    // Resumed with no steps left, the checkpoint it writes holds exactly the weights it restored.
    const restored = new FpnModel({ preset: 'tiny', max_iteration: 4, data_workers: 1 });
    let restoredDir: string;
    try {
      restoredDir = await restored.train(data, undefined, {
        workDir: join(dir, 'w-restored'),
        resumeFrom: checkpoints[1],
      });
    } finally {
      await restored.dispose();
    }
    const [saved, back] = await Promise.all([readCheckpoint(checkpoints[1]), readCheckpoint(restoredDir)]);
    try {
      const names = Object.keys(saved.weights).sort();
      expect(names.length).toBeGreaterThan(10);
      expect(Object.keys(back.weights).sort()).toEqual(names);
      for (const name of names) {
        expect({ name, shape: back.weights[name].shape }).toEqual({ name, shape: saved.weights[name].shape });
        const [a, b] = [saved.weights[name].dataSync(), back.weights[name].dataSync()];
        expect({ name, equal: a.every((v, i) => v === b[i]) }).toEqual({ name, equal: true });
      }
    } finally {
      tf.dispose([...Object.values(saved.weights), ...Object.values(back.weights)]);
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
