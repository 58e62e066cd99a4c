import type { ObjectStore } from '../storage/object-store.js';
import { createObjectStore } from '../storage/minio-object-store.js';
import { s3ConfigFromEnv } from '../storage/s3-config.js';
import { DatasetError } from './dataset-error.js';

/** The given store, else one built from `S3_ENDPOINT` / `S3_ACCESS_KEY` / `S3_SECRET_KEY`. */
export function storeFor(uri: string, store?: ObjectStore): ObjectStore {
  if (store) return store;
  try {
    return createObjectStore(s3ConfigFromEnv(process.env));
  } catch (err) {
    throw new DatasetError(
      'DATASET_STORE_MISSING',
      `Cannot read ${uri}: no object store given and S3 is not configured`,
      {
        file: uri,
        cause: err,
      },
    );
  }
}
