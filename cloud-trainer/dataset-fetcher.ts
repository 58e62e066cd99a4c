import { readFile } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import sharp from 'sharp';
import type { Dataset, DatasetSample } from '../lib/dataset/types.js';
import { parseIndexLines, type IndexLine } from '../lib/dataset/index-file.js';
import { eachLimit } from '../lib/each-limit.js';
import { EdgeStlError } from '../lib/errors/index.js';
import { parseS3Uri, resolveS3Uri } from '../lib/storage/s3-uri.js';
import type { TrainingJobData } from '../lib/queue/training-queue.js';
import type { DatasetCache } from '../lib/dataset/dataset-cache.js';
import { TrainingInputError } from './training-input-error.js';

/** The datasets of one round, as local files, plus their sizes for the manifest. */
export interface RoundData {
  train: Dataset;
  test: Dataset;
  sizes: { trainImages: number; labeledImages: number; testImages: number };
}

/** Downloads at most this many objects at once. */
const FETCH_CONCURRENCY = 8;

/**
 * Fetches the base train index (or its first `trainFraction`), the labeled-samples index and the test
 * index through the cache, and lays them out under `dir/<role>/` with their own relative paths.
 * A missing index, a listed object that does not exist or an unreadable image is a
 * {@link TrainingInputError}.
 */
export async function fetchRoundData(
  data: TrainingJobData,
  cache: DatasetCache,
  dir: string,
): Promise<RoundData> {
  const base = await fetchIndex('train', data.dataset.trainIndex, cache, join(dir, 'train'), true);
  const fraction = data.dataset.trainFraction ?? 1;
  const baseSamples = base.samples.slice(0, Math.max(1, Math.ceil(base.samples.length * fraction)));
  const labeled = data.dataset.labeledIndex
    ? await fetchIndex('labeled', data.dataset.labeledIndex, cache, join(dir, 'labeled'), false)
    : { source: '', samples: [] };
  const test = await fetchIndex('test', data.dataset.testIndex, cache, join(dir, 'test'), true);
  if (test.samples.length === 0)
    throw new TrainingInputError(`test index ${data.dataset.testIndex} lists no images`);
  return {
    train: {
      source: data.dataset.trainIndex,
      samples: mixSamples(baseSamples, labeled.samples, data.dataset.labeledShare ?? 0),
    },
    test,
    sizes: {
      trainImages: baseSamples.length,
      labeledImages: labeled.samples.length,
      testImages: test.samples.length,
    },
  };
}

/**
 * The training set of a round: the base samples, then the labeled edge samples repeated (whole
 * copies, rounded) until they are about `labeledShare` of the whole. Fine-tuning draws samples
 * uniformly, so without this a few dozen new-line samples beside hundreds of base ones are seen
 * too rarely to move the model; with it old and new data are mixed in a set proportion.
 */
export function mixSamples<T>(base: T[], labeled: T[], labeledShare: number): T[] {
  if (labeled.length === 0 || labeledShare <= 0) return [...base, ...labeled];
  const wanted = (base.length * labeledShare) / (1 - labeledShare);
  const copies = Math.max(1, Math.round(wanted / labeled.length));
  return [...base, ...Array.from({ length: copies }, () => labeled).flat()];
}

/** Fetches one index and every object it lists. `required`: a missing index is an error, else empty. */
async function fetchIndex(
  role: string,
  uri: string,
  cache: DatasetCache,
  dir: string,
  required: boolean,
): Promise<Dataset> {
  const { bucket, key } = parseS3UriOrFail(role, uri);
  const indexPath = await fetchOrFail(cache, bucket, key, `${role} index ${uri} does not exist`);
  if (!indexPath) {
    if (required) throw new TrainingInputError(`${role} index ${uri} does not exist`);
    return { source: uri, samples: [] };
  }
  let entries: IndexLine[];
  try {
    entries = parseIndexLines(await readFile(indexPath, 'utf8'), uri);
  } catch (err) {
    throw new TrainingInputError(`${role} index ${uri} is not a valid Ianvs index: ${messageOf(err)}`, {
      cause: err,
    });
  }
  const samples: DatasetSample[] = new Array(entries.length);
  await eachLimit(entries, FETCH_CONCURRENCY, async (entry, i) => {
    const imagePath = await fetchListed(role, uri, entry.image, cache, dir);
    await assertReadableImage(imagePath, resolveS3Uri(uri, entry.image));
    const sample: DatasetSample = { imagePath };
    if (entry.annotation) sample.annotationPath = await fetchListed(role, uri, entry.annotation, cache, dir);
    samples[i] = sample;
  });
  return { source: uri, samples };
}

async function fetchListed(
  role: string,
  indexUri: string,
  relative: string,
  cache: DatasetCache,
  dir: string,
): Promise<string> {
  const objectUri = resolveS3Uri(indexUri, relative);
  const { bucket, key } = parseS3Uri(objectUri);
  const cached = await fetchOrFail(cache, bucket, key, `${objectUri} does not exist`);
  if (!cached)
    throw new TrainingInputError(
      `${role} index ${indexUri} lists ${relative}, but ${objectUri} does not exist`,
    );
  const target = localTarget(dir, relative);
  if (!target)
    throw new TrainingInputError(`${role} index ${indexUri} lists a path outside its directory: ${relative}`);
  await cache.materialize(cached, target);
  return target;
}

/** `dir/<relative>` when `relative` stays inside `dir`, else null. */
function localTarget(dir: string, relative: string): string | null {
  const clean = normalize(relative.replace(/\\/g, '/'));
  if (isAbsolute(clean) || clean === '..' || clean.startsWith(`..${sep}`)) return null;
  return join(dir, clean);
}

async function fetchOrFail(
  cache: DatasetCache,
  bucket: string,
  key: string,
  message: string,
): Promise<string | null> {
  try {
    return await cache.fetch(bucket, key);
  } catch (err) {
    // A missing bucket is the user's input, not an outage worth retrying.
    if (err instanceof EdgeStlError && err.code === 'BUCKET_NOT_FOUND')
      throw new TrainingInputError(message, { cause: err });
    throw err;
  }
}

async function assertReadableImage(path: string, uri: string): Promise<void> {
  try {
    const meta = await sharp(path).metadata();
    if (!meta.width || !meta.height) throw new Error('no dimensions');
  } catch (err) {
    throw new TrainingInputError(`unreadable image ${uri}: ${messageOf(err)}`, { cause: err });
  }
}

function parseS3UriOrFail(role: string, uri: string): { bucket: string; key: string } {
  try {
    return parseS3Uri(uri);
  } catch (err) {
    throw new TrainingInputError(`${role} index: ${messageOf(err)}`, { cause: err });
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
