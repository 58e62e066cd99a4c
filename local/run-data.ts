import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { mapLimit } from '../lib/each-limit.js';
import { formatIndex, loadDataset, type DatasetSample } from '../lib/dataset/index.js';
import { synthesizeDataset } from '../lib/dataset/synth/index.js';
import { EdgeStlError } from '../lib/errors/index.js';
import type { Logger } from '../lib/log.js';

/**
 * The data of a local run, as local Ianvs indexes. Four roles that must never share an image:
 * round 0 trains on `trainIndex` (the first line); the cameras stream `stream` (the new line);
 * every round is evaluated on `testIndex` (the new line's held-out test) and on
 * `referenceTestIndex` (the first line's test, to show what the model keeps).
 */
export interface RunData {
  trainIndex: string;
  testIndex: string;
  referenceTestIndex: string;
  /** What the cameras send, in order. */
  streamImages: string[];
  /** The stream's Ianvs index, when it has one: its annotations serve the labeling oracle only. */
  streamIndex: string | null;
  /** Where the data came from, for the terminal and the report. */
  description: string;
}

export interface RunDataOptions {
  stateDir: string;
  /** The first line's dataset dir (train_data/, test_data/); default: synthesized line 1. */
  dataset?: string;
  /** What the cameras send: an Ianvs index, a dir holding index.txt, or a dir of images. */
  stream?: string;
  /** The evaluation set; default: the stream's sibling test_data. */
  testIndex?: string;
  /** Seed of the synthesized lines. */
  seed?: number;
  log: Logger;
}

/** Sizes of the synthesized lines: PCB-AoI's own split sizes, and a stream of 300 images. */
const SYNTHETIC_SPLITS = [
  { line: 1, split: 'train_data', count: 240 },
  { line: 1, split: 'test_data', count: 60 },
  { line: 2, split: 'stream_data', count: 300 },
  { line: 2, split: 'test_data', count: 60 },
] as const;

/** Without a second line, this share of the first line's train_data is held back as the stream. */
const HELD_BACK_SHARE = 0.25;

const IMAGE = /\.(jpe?g|png)$/i;

/**
 * Resolves the run's data from the flags: no flags synthesizes both lines into the state dir
 * (once; a rerun reuses them); `--dataset` alone holds back part of its train_data as the stream.
 * Then checks by content hash that no stream image is in the evaluation set or in round 0's
 * training set.
 */
export async function resolveRunData(options: RunDataOptions): Promise<RunData> {
  const data = await chooseData(options);
  await assertNoOverlap(data);
  return data;
}

async function chooseData(options: RunDataOptions): Promise<RunData> {
  const { log } = options;
  if (!options.dataset && !options.stream && !options.testIndex) {
    const root = join(options.stateDir, 'data');
    const seed = options.seed ?? 1;
    for (const s of SYNTHETIC_SPLITS) {
      const out = join(root, `line${s.line}`, s.split);
      if (existsSync(join(out, 'index.txt'))) continue;
      const started = Date.now();
      const result = await synthesizeDataset({ out, line: s.line, split: s.split, count: s.count, seed });
      log.info(
        { out, images: result.images, boxes: result.boxes, ms: Date.now() - started },
        'Synthesized split',
      );
    }
    const streamIndex = join(root, 'line2', 'stream_data', 'index.txt');
    return {
      trainIndex: join(root, 'line1', 'train_data', 'index.txt'),
      referenceTestIndex: join(root, 'line1', 'test_data', 'index.txt'),
      testIndex: join(root, 'line2', 'test_data', 'index.txt'),
      streamIndex,
      streamImages: await imagesOfIndex(streamIndex),
      description: `synthetic PCB-AoI (seed ${seed}): line 1 trains round 0, the cameras stream line 2`,
    };
  }
  if (!options.dataset)
    throw new EdgeStlError(
      'DATASET_MISSING',
      '--stream and --test-index need --dataset DIR (the first line)',
    );
  const dataset = resolve(options.dataset);
  const firstTrain = join(dataset, 'train_data', 'index.txt');
  const firstTest = join(dataset, 'test_data', 'index.txt');
  for (const index of [firstTrain, firstTest])
    if (!existsSync(index))
      throw new EdgeStlError(
        'DATASET_MISSING',
        `${index} does not exist: --dataset names a dir with train_data/ and test_data/ in the Ianvs layout`,
      );

  if (!options.stream) {
    if (options.testIndex)
      throw new EdgeStlError(
        'DATASET_MISSING',
        '--test-index needs --stream (the evaluation set of the streamed line)',
      );
    const { train, stream } = await holdBack(firstTrain, join(options.stateDir, 'data', 'held-back'));
    return {
      trainIndex: train,
      referenceTestIndex: firstTest,
      testIndex: firstTest,
      streamIndex: stream,
      streamImages: await imagesOfIndex(stream),
      description: `${dataset}: the cameras stream a held-back ${HELD_BACK_SHARE * 100}% of train_data, test_data evaluates`,
    };
  }
  const stream = resolve(options.stream);
  const streamIndex = stream.endsWith('.txt')
    ? stream
    : existsSync(join(stream, 'index.txt'))
      ? join(stream, 'index.txt')
      : null;
  const testIndex = options.testIndex
    ? resolve(options.testIndex)
    : join(dirname(streamIndex ? dirname(streamIndex) : stream), 'test_data', 'index.txt');
  if (!existsSync(testIndex))
    throw new EdgeStlError(
      'DATASET_MISSING',
      `evaluation index ${testIndex} does not exist: pass --test-index INDEX`,
    );
  const streamImages = streamIndex ? await imagesOfIndex(streamIndex) : await imagesOfDir(stream);
  if (streamImages.length === 0)
    throw new EdgeStlError('DATASET_MISSING', `${stream} holds no JPEG or PNG images to stream`);
  return {
    trainIndex: firstTrain,
    referenceTestIndex: firstTest,
    testIndex,
    streamIndex,
    streamImages,
    description: `${dataset} trains round 0, the cameras stream ${stream}, ${testIndex} evaluates`,
  };
}

async function imagesOfIndex(index: string): Promise<string[]> {
  return (await loadDataset(index)).samples.map((s) => s.imagePath);
}

async function imagesOfDir(dir: string): Promise<string[]> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory())
    throw new EdgeStlError('DATASET_MISSING', `${dir} is neither an index.txt nor a directory`);
  return (await readdir(dir))
    .filter((n) => IMAGE.test(n))
    .sort()
    .map((n) => join(dir, n));
}

/**
 * Splits a train index into round 0's part and a held-back stream (its last quarter), copied into
 * `dir` so that each has an index of its own with its files beside it (the user's data is only read).
 */
async function holdBack(trainIndex: string, dir: string): Promise<{ train: string; stream: string }> {
  const samples = (await loadDataset(trainIndex)).samples;
  const cut = Math.floor(samples.length * (1 - HELD_BACK_SHARE));
  if (cut < 1 || cut >= samples.length)
    throw new EdgeStlError(
      'DATASET_MISSING',
      `${trainIndex} has too few images (${samples.length}) to hold a part back as the stream`,
    );
  const parts = { train: samples.slice(0, cut), stream: samples.slice(cut) };
  const out: Record<string, string> = {};
  for (const [name, part] of Object.entries(parts)) {
    const splitDir = join(dir, name);
    out[name] = join(splitDir, 'index.txt');
    if (existsSync(out[name])) continue;
    await mkdir(join(splitDir, 'JPEGImages'), { recursive: true });
    await mkdir(join(splitDir, 'Annotations'), { recursive: true });
    const copied: DatasetSample[] = [];
    for (const s of part) {
      const image = join(splitDir, 'JPEGImages', basename(s.imagePath));
      await copyFile(s.imagePath, image);
      const sample: DatasetSample = { imagePath: image };
      if (s.annotationPath) {
        sample.annotationPath = join(splitDir, 'Annotations', basename(s.annotationPath));
        await copyFile(s.annotationPath, sample.annotationPath);
      }
      copied.push(sample);
    }
    // The index last: its presence marks the split complete.
    await writeFile(out[name], formatIndex(copied, splitDir));
  }
  return { train: out.train!, stream: out.stream! };
}

async function hashFiles(files: string[]): Promise<Map<string, string>> {
  const hashes = await mapLimit(files, 8, async (f) =>
    createHash('sha256')
      .update(await readFile(f))
      .digest('hex'),
  );
  return new Map(hashes.map((h, i) => [h, files[i]]));
}

/**
 * The run's claim rests on this: the stream shares no image (by content) with the evaluation set
 * or round 0's training set, else the loop's gain could be memorised test images.
 */
async function assertNoOverlap(data: RunData): Promise<void> {
  const stream = await hashFiles(data.streamImages);
  for (const [role, index] of [
    ['evaluation set', data.testIndex],
    ['round 0 training set', data.trainIndex],
    ['first line test set', data.referenceTestIndex],
  ] as const) {
    const other = await hashFiles(await imagesOfIndex(index));
    const shared = [...stream.keys()].filter((h) => other.has(h));
    if (shared.length > 0) {
      const names = shared
        .slice(0, 5)
        .map((h) => `${relative(process.cwd(), stream.get(h)!)} = ${relative(process.cwd(), other.get(h)!)}`);
      throw new EdgeStlError(
        'DATASET_OVERLAP',
        `${shared.length} streamed image(s) are also in the ${role} (${index}): ${names.join('; ')}${shared.length > 5 ? '; ...' : ''}`,
      );
    }
  }
}
