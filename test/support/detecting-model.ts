/**
 * A small FPN model that really finds boxes, for the tests whose claims need detections
 * (frame, consistency, save/load, accuracy floors). It is trained once per suite run by the real
 * `edge-stl train` CLI in a child process, on generated images, and cached in the suite's data
 * directory (EDGE_STL_TEST_DATA_DIR, made by global-setup.ts); test files running in parallel
 * wait for the one that holds the lock instead of training again.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticDataset, type SyntheticDataset } from '../../lib/builtin-algorithms/fpn/synthetic-dataset.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RUN_CLI = join(REPO_ROOT, 'test/cloud-trainer/fixtures/run-cli.ts');

/**
 * Tiny preset, 300 iterations on 16 images: about 30 s on a quiet 2-core machine, F1 1.0 on the
 * held-out images in trials (seeds 1 and 2), so the 0.8 floor has margin.
 */
export const DETECTING_MODEL_HP = { preset: 'tiny', max_iteration: 300 };
/** The accuracy a model that detects must reach on its held-out images. */
export const DETECTING_F1_FLOOR = 0.8;

/** The cached model and the data it was trained and scored on. */
export interface DetectingModel {
  zipPath: string;
  train: SyntheticDataset;
  /** Held-out images (another seed), every one with at least one object. */
  test: SyntheticDataset;
  /** The JSON summary `edge-stl train` printed: f1_score and mAP50 on `test`. */
  summary: { f1_score: number; mAP50: number; iterations: number };
}

let cached: Promise<DetectingModel> | undefined;

/** The detecting model, trained on first use in this suite run. */
export function detectingModel(): Promise<DetectingModel> {
  cached ??= obtain();
  return cached;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function readReady(dir: string): Promise<DetectingModel | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'ready.json'), 'utf8')) as DetectingModel;
  } catch {
    return undefined;
  }
}

async function obtain(): Promise<DetectingModel> {
  const base = process.env.EDGE_STL_TEST_DATA_DIR ?? (await mkdtemp(join(tmpdir(), 'edge-stl-detecting-')));
  const dir = join(base, 'detecting-model');
  const lock = join(base, 'detecting-model.lock');
  for (;;) {
    const ready = await readReady(dir);
    if (ready) return ready;
    try {
      await mkdir(lock);
    } catch {
      // Another test file is training it; take over only if that process died.
      const owner = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => '0'));
      if (owner > 0 && !isAlive(owner)) await rm(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      await writeFile(join(lock, 'pid'), String(process.pid));
      return await build(dir);
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
}

async function build(dir: string): Promise<DetectingModel> {
  await rm(dir, { recursive: true, force: true });
  const train = await writeSyntheticDataset(join(dir, 'train'), { images: 16, seed: 11 });
  const test = await writeSyntheticDataset(join(dir, 'test'), { images: 8, seed: 12 });
  const zipPath = join(dir, 'model.zip');
  const hp = Object.entries(DETECTING_MODEL_HP).flatMap(([k, v]) => ['--hp', `${k}=${v}`]);
  const stdout = await runCli([
    'train',
    '--train-index',
    train.indexPath,
    '--test-index',
    test.indexPath,
    '--out',
    zipPath,
    '--backend',
    'wasm',
    ...hp,
  ]);
  const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as DetectingModel['summary'];
  const model: DetectingModel = { zipPath, train, test, summary };
  // Written whole then renamed: a waiter never reads half a ready.json.
  await writeFile(join(dir, 'ready.json.tmp'), JSON.stringify(model));
  await rename(join(dir, 'ready.json.tmp'), join(dir, 'ready.json'));
  return model;
}

function runCli(args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', RUN_CLI, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolvePromise(out) : reject(new Error(`edge-stl ${args[0]} exited with ${code}: ${err}`)),
    );
  });
}
