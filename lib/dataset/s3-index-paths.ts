import { posix } from 'node:path';
import { isS3Uri, parseS3Uri, type S3Location } from '../storage/s3-uri.js';
import { DatasetError } from './dataset-error.js';

/**
 * Resolves a token of an s3-hosted index: relative to the index's key directory, or an s3:// URI
 * as written. Refuses absolute local paths and paths that leave the bucket.
 */
export function resolveIndexToken(
  token: string,
  index: S3Location,
  indexUri: string,
  line: number,
): S3Location {
  if (isS3Uri(token)) {
    try {
      return parseS3Uri(token);
    } catch (err) {
      throw new DatasetError('INVALID_INDEX', `${indexUri}:${line}: "${token}" is not a valid s3:// URI`, {
        file: indexUri,
        line,
        cause: err,
      });
    }
  }
  if (token.startsWith('/')) {
    throw new DatasetError(
      'INVALID_INDEX',
      `${indexUri}:${line}: absolute path "${token}" in an s3 index (write it relative to the index)`,
      {
        file: indexUri,
        line,
      },
    );
  }
  const key = posix.normalize(posix.join(posix.dirname(index.key), token));
  if (key === '..' || key.startsWith('../') || key === '.') {
    throw new DatasetError('INVALID_INDEX', `${indexUri}:${line}: "${token}" points outside the bucket`, {
      file: indexUri,
      line,
    });
  }
  return { bucket: index.bucket, key };
}
