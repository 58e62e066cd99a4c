import { jest } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticDataset, type SyntheticDataset } from '../../../../lib/builtin-algorithms/fpn/index.js';
import { run as evalRun } from '../../../../cli/commands/eval.js';
import { run as predictRun } from '../../../../cli/commands/predict.js';
import { run as trainRun } from '../../../../cli/commands/train.js';
import { UsageError } from '../../../../lib/errors/index.js';
import { readManifest } from '../../../../lib/model-package/index.js';
import { DETECTING_F1_FLOOR, DETECTING_MODEL_HP, detectingModel } from '../../../support/detecting-model.js';

let dir: string;
let synth: SyntheticDataset;
let out: string[] = [];
let err: string[] = [];
let logSpy: ReturnType<typeof jest.spyOn>;
let errSpy: ReturnType<typeof jest.spyOn>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-stl-fpn-cli-'));
  synth = await writeSyntheticDataset(join(dir, 'data'), { images: 4, seed: 5 });
});
beforeEach(() => {
  out = [];
  err = [];
  logSpy = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  errSpy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  logSpy.mockRestore();
  errSpy.mockRestore();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('edge-stl train / predict / eval', () => {
  const zip = () => join(dir, 'm.zip');

  it('train writes model.zip, prints plain progress lines off a TTY, and a JSON summary last', async () => {
    const code = await trainRun([
      '--train-index',
      synth.indexPath,
      '--test-index',
      synth.indexPath,
      '--out',
      zip(),
      '--hp',
      'preset=tiny',
      '--hp',
      'max_iteration=10',
      '--backend',
      'wasm',
    ]);
    expect(code).toBe(0);
    const progress = err
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('iter '));
    expect(progress[0]).toMatch(
      /^iter 1\/10 loss=[\d.]+ rpn_cls=[\d.]+ rpn_box=[\d.]+ rcnn_cls=[\d.]+ rcnn_box=[\d.]+ [\d.]+ img\/s ETA \S+$/,
    );
    expect(progress.at(-1)).toMatch(/^iter 10\/10 /);
    const summary = JSON.parse(out.at(-1)!);
    expect(summary).toMatchObject({ model: zip(), aborted: false, iterations: 10 });
    expect(typeof summary.f1_score).toBe('number');
    expect((await readManifest(zip())).metrics).toHaveProperty('mAP50');
  });

  it('predict writes the predict_dict for an index and draws PNGs', async () => {
    const preds = join(dir, 'p.json');
    expect(
      await predictRun([
        '--model',
        zip(),
        '--index',
        synth.indexPath,
        '--out',
        preds,
        '--draw',
        join(dir, 'draw'),
      ]),
    ).toBe(0);
    const dict = JSON.parse(await readFile(preds, 'utf8'));
    expect(Object.keys(dict).sort()).toEqual(synth.imagePaths.map((p) => p.split('/').pop()).sort());
    expect((await readdir(join(dir, 'draw'))).sort()).toEqual([
      'synthetic-0000.png',
      'synthetic-0001.png',
      'synthetic-0002.png',
      'synthetic-0003.png',
    ]);
  });

  it('predict takes image paths too', async () => {
    const preds = join(dir, 'q.json');
    expect(await predictRun(['--model', zip(), synth.imagePaths[1], '--out', preds])).toBe(0);
    expect(Object.keys(JSON.parse(await readFile(preds, 'utf8')))).toEqual(['synthetic-0001.jpeg']);
  });

  it('eval prints one JSON object as its last line', async () => {
    expect(await evalRun(['--model', zip(), '--test-index', synth.indexPath])).toBe(0);
    const last = JSON.parse(out.at(-1)!);
    expect(Object.keys(last)).toEqual(['f1_score', 'mAP50', 'images', 'seconds']);
    expect(last.images).toBe(4);
  });

  it('a model `edge-stl train` trained finds the objects: F1 >= 0.8 on held-out images, by train and by eval', async () => {
    // The suite's detecting model is trained by `edge-stl train` in a child process.
    const fixture = await detectingModel();
    expect(fixture.summary.iterations).toBe(DETECTING_MODEL_HP.max_iteration);
    expect(fixture.summary.f1_score).toBeGreaterThanOrEqual(DETECTING_F1_FLOOR);
    expect(await evalRun(['--model', fixture.zipPath, '--test-index', fixture.test.indexPath])).toBe(0);
    const last = JSON.parse(out.at(-1)!);
    expect(last.images).toBe(fixture.test.imagePaths.length);
    expect(last.f1_score).toBeGreaterThanOrEqual(DETECTING_F1_FLOOR);
    expect(last.f1_score).toBeCloseTo(fixture.summary.f1_score, 4);
    expect(last.mAP50).toBeGreaterThanOrEqual(DETECTING_F1_FLOOR);
  }, 600_000);

  it('misuse is a UsageError', async () => {
    await expect(trainRun(['--out', zip()])).rejects.toThrow(UsageError);
    await expect(predictRun(['--model', zip(), '--out', 'x.json'])).rejects.toThrow(/--index or image paths/);
    await expect(evalRun(['--model', zip()])).rejects.toThrow(/--test-index/);
    await expect(
      trainRun(['--train-index', synth.indexPath, '--out', zip(), '--hp', 'backbone=vgg']),
    ).rejects.toThrow(/resnet18, mobilenetv2/);
  });
});
