/**
 * What tests use to reach the services jest global setup started (see global-setup.ts).
 * Each test file takes its own bucket / queue prefix so files never collide.
 */
import { randomBytes } from 'node:crypto';
import { createObjectStore } from '../../lib/storage/minio-object-store.js';
import type { ObjectStore, S3Config } from '../../lib/storage/object-store.js';
import { s3ConfigFromEnv } from '../../lib/storage/s3-config.js';

/** The embedded S3 endpoint and its credentials. */
export function testS3Config(): S3Config {
  return s3ConfigFromEnv(process.env);
}

/** An object store on the embedded S3 endpoint. */
export function testStore(): ObjectStore {
  return createObjectStore(testS3Config());
}

/**
 * A fresh valid bucket name, `<prefix>-<random>`: the prefix is lower-cased, stripped to
 * letters, digits and hyphens and shortened so the name stays within S3's 63 characters.
 */
export function uniqueBucket(prefix: string): string {
  const clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `${clean || 'test'}-${randomBytes(6).toString('hex')}`;
}

/** The Redis the tests use (reused or spawned by global setup). */
export function testRedisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url)
    throw new Error('REDIS_URL is not set: run the tests through jest (its global setup starts Redis)');
  return url;
}
