import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import { uploadDataset } from '../lib/dataset/index.js';
import { EdgeStlError } from '../lib/errors/index.js';
import type { Logger } from '../lib/log.js';
import { parseS3Uri, type ObjectStore } from '../lib/storage/index.js';

/** A local Ianvs index and the s3:// index URI it is to be found at. */
export interface SeedSplit {
  uri: string;
  localIndex: string;
}

/**
 * Puts local Ianvs datasets where the job's index URIs point, once: an index already in the bucket
 * is left alone, so reruns and user-provided data are untouched.
 */
export async function seedDataset(store: ObjectStore, splits: SeedSplit[], log: Logger): Promise<void> {
  for (const { uri, localIndex } of splits) {
    const { bucket, key } = parseS3Uri(uri);
    if (await store.stat(bucket, key)) continue;
    if (!existsSync(localIndex)) {
      throw new EdgeStlError(
        'DATASET_MISSING',
        `${uri} is not in the bucket and ${localIndex} does not exist to seed it from`,
      );
    }
    const { files } = await uploadDataset(localIndex, store, bucket, posix.dirname(key));
    log.info({ uri, files }, 'Seeded dataset into object store');
  }
}
