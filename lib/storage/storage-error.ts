import { EdgeStlError } from '../errors/index.js';

/** Codes of {@link StorageError}. */
export type StorageErrorCode =
  | 'INVALID_S3_URI'
  | 'S3_CONFIG_MISSING'
  | 'OBJECT_NOT_FOUND'
  | 'BUCKET_NOT_FOUND'
  | 'STORAGE_FAILED'
  | 'S3_TIMEOUT';

/** An object-store failure. The message names bucket and key; the S3 error travels in `cause`. */
export class StorageError extends EdgeStlError {
  declare readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
