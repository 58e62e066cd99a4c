export type { ObjectStore, ObjectInfo, PutOptions, S3Config } from './object-store.js';
export * from './layout.js';
export {
  parseS3Uri,
  formatS3Uri,
  resolveS3Uri,
  isS3Uri,
  isValidBucketName,
  type S3Location,
} from './s3-uri.js';
export { s3ConfigFromEnv } from './s3-config.js';
export { MinioObjectStore, createObjectStore, type MinioObjectStoreOptions } from './minio-object-store.js';
// Types only: the embedded S3 loads s3rver, a devDependency; import embedded-s3.js where it runs.
export type { EmbeddedS3, EmbeddedS3Options } from './embedded-s3.js';
export { StorageError, type StorageErrorCode } from './storage-error.js';
