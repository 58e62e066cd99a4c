import type { S3Config } from './object-store.js';
import { StorageError } from './storage-error.js';

/**
 * Reads the S3 endpoint and credentials from the environment: `S3_ENDPOINT`, then
 * `S3_ACCESS_KEY` / `S3_SECRET_KEY` or the AWS names `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`,
 * and optional `S3_REGION` / `AWS_REGION`. Throws {@link StorageError} `S3_CONFIG_MISSING` naming
 * every missing variable.
 */
export function s3ConfigFromEnv(env: NodeJS.ProcessEnv = process.env): S3Config {
  const endpoint = env.S3_ENDPOINT;
  const accessKey = env.S3_ACCESS_KEY ?? env.AWS_ACCESS_KEY_ID;
  const secretKey = env.S3_SECRET_KEY ?? env.AWS_SECRET_ACCESS_KEY;
  const missing: string[] = [];
  if (!endpoint) missing.push('S3_ENDPOINT');
  if (!accessKey) missing.push('S3_ACCESS_KEY (or AWS_ACCESS_KEY_ID)');
  if (!secretKey) missing.push('S3_SECRET_KEY (or AWS_SECRET_ACCESS_KEY)');
  if (missing.length > 0) {
    throw new StorageError('S3_CONFIG_MISSING', `S3 is not configured: set ${missing.join(', ')}`);
  }
  const region = env.S3_REGION ?? env.AWS_REGION;
  return { endpoint: endpoint!, accessKey: accessKey!, secretKey: secretKey!, ...(region ? { region } : {}) };
}
