import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import { join } from 'node:path';
import { uploadDataset } from '../lib/dataset/index.js';
import { EdgeStlError } from '../lib/errors/index.js';
import type { Logger } from '../lib/log.js';
import { parseS3Uri, type ObjectStore } from '../lib/storage/index.js';

/**
 * Puts the user's local Ianvs dataset where the job's `trainIndex` / `testIndex` URIs point, once:
 * an index already in the bucket is left alone, so reruns and user-provided data are untouched.
 * `<datasetDir>/<split>/index.txt` is matched to the URI whose directory ends in `<split>`.
 */
export async function seedDataset(
  store: ObjectStore,
  datasetDir: string,
  indexUris: string[],
  log: Logger,
): Promise<void> {
  for (const uri of indexUris) {
    const { bucket, key } = parseS3Uri(uri);
    if (await store.stat(bucket, key)) continue;
    const prefix = posix.dirname(key);
    const localIndex = join(datasetDir, posix.basename(prefix), 'index.txt');
    if (!existsSync(localIndex)) {
      throw new EdgeStlError(
        'DATASET_MISSING',
        `${uri} is not in the bucket and ${localIndex} does not exist to seed it from`,
      );
    }
    const { files } = await uploadDataset(localIndex, store, bucket, prefix);
    log.info({ uri, files }, 'Seeded dataset into object store');
  }
}
