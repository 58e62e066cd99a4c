import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { ObjectStore } from '../storage/object-store.js';
import { isS3Uri } from '../storage/s3-uri.js';
import { DatasetError } from './dataset-error.js';
import { storeFor } from './default-store.js';
import { readIndexLines } from './index-file.js';
import { downloadDataset } from './s3-dataset.js';
import type { Dataset, DatasetSample } from './types.js';

/** Options of {@link loadDataset}. */
export interface LoadDatasetOptions {
  /** Object store for s3:// indexes; default: one built from `S3_ENDPOINT` / `S3_ACCESS_KEY` / `S3_SECRET_KEY`. */
  store?: ObjectStore;
  /** Where s3 datasets are cached; default `$EDGE_STL_CACHE_DIR` or `<tmpdir>/edge-stl-cache`. */
  cacheDir?: string;
  /** Check that every local file the index names exists (default true). */
  verify?: boolean;
  /** Parallel downloads (default 8). */
  concurrency?: number;
}

/** The default dataset cache directory. */
export function defaultCacheDir(): string {
  return process.env.EDGE_STL_CACHE_DIR ?? join(tmpdir(), 'edge-stl-cache');
}

async function loadLocal(path: string, verify: boolean): Promise<Dataset> {
  const baseDir = dirname(resolve(path));
  const lines = await readIndexLines(path);
  const samples: DatasetSample[] = [];
  for (const l of lines) {
    const sample: DatasetSample = { imagePath: resolve(baseDir, l.image) };
    if (l.annotation !== undefined) sample.annotationPath = resolve(baseDir, l.annotation);
    if (verify) {
      for (const file of [sample.imagePath, sample.annotationPath]) {
        if (file !== undefined && !(await stat(file).catch(() => null))?.isFile()) {
          throw new DatasetError('DATASET_FILE_MISSING', `${path}:${l.line}: ${file} does not exist`, {
            file: path,
            line: l.line,
          });
        }
      }
    }
    samples.push(sample);
  }
  return { source: path, samples };
}

/**
 * Loads an Ianvs dataset from a local `index.txt` or an `s3://bucket/key/index.txt` URI and
 * returns it with LOCAL paths, in index order. An s3 dataset is downloaded (index, images and
 * annotations) through the object-store port into the cache directory first; unchanged files are
 * not fetched again.
 */
export async function loadDataset(pathOrUri: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  if (!isS3Uri(pathOrUri)) return loadLocal(pathOrUri, options.verify ?? true);
  return downloadDataset(pathOrUri, storeFor(pathOrUri, options.store), {
    cacheDir: options.cacheDir ?? defaultCacheDir(),
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
  });
}
