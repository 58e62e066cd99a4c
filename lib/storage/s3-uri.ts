import { StorageError } from './storage-error.js';

/** An object address, `s3://<bucket>/<key>`. `key` may be empty (the bucket root) or end in `/` (a prefix). */
export interface S3Location {
  bucket: string;
  key: string;
}

/** S3 bucket naming rules (3-63 chars, lower-case letters, digits, dots, hyphens; not an IP). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** True for a string that names a valid S3 bucket. */
export function isValidBucketName(name: string): boolean {
  return BUCKET_NAME.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
}

/** True when `value` looks like an s3:// URI (it may still be malformed). */
export function isS3Uri(value: string): boolean {
  return value.startsWith('s3://');
}

/**
 * Splits `s3://bucket/some/key` into `{ bucket, key }`. The key is taken verbatim (no percent
 * decoding), as the AWS CLI does. Throws {@link StorageError} `INVALID_S3_URI` naming what is wrong.
 */
export function parseS3Uri(uri: string): S3Location {
  if (!isS3Uri(uri)) {
    throw new StorageError('INVALID_S3_URI', `Not an s3:// URI: "${uri}" (expected s3://<bucket>/<key>)`);
  }
  const rest = uri.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? '' : rest.slice(slash + 1);
  if (!bucket) {
    throw new StorageError('INVALID_S3_URI', `Missing bucket in "${uri}" (expected s3://<bucket>/<key>)`);
  }
  if (!isValidBucketName(bucket)) {
    throw new StorageError(
      'INVALID_S3_URI',
      `Invalid bucket name "${bucket}" in "${uri}": 3-63 lower-case letters, digits, dots or hyphens`,
    );
  }
  if (key.startsWith('/')) {
    throw new StorageError('INVALID_S3_URI', `Key of "${uri}" starts with "/" (write s3://${bucket}/<key>)`);
  }
  if (key.includes('\0')) {
    throw new StorageError('INVALID_S3_URI', `Key of "${uri}" contains a NUL character`);
  }
  return { bucket, key };
}

/** Builds `s3://bucket/key`, the inverse of {@link parseS3Uri}. */
export function formatS3Uri(bucket: string, key = ''): string {
  if (!isValidBucketName(bucket)) {
    throw new StorageError('INVALID_S3_URI', `Invalid bucket name "${bucket}"`);
  }
  return `s3://${bucket}/${key.replace(/^\/+/, '')}`;
}

/** `s3://b/a/index.txt` + `x/y.jpg` → `s3://b/a/x/y.jpg` (resolve relative to the URI's directory). */
export function resolveS3Uri(base: string, relative: string): string {
  const { bucket, key } = parseS3Uri(base);
  const dir = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
  const parts: string[] = [];
  for (const part of `${dir}${relative}`.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.') parts.push(part);
  }
  return formatS3Uri(bucket, parts.join('/').replace(/^\/+/, ''));
}
