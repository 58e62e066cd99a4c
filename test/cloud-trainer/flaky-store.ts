import type { Readable } from 'node:stream';
import type { ObjectInfo, ObjectStore, PutOptions } from '../../lib/storage/object-store.js';
import { StorageError } from '../../lib/storage/storage-error.js';

/**
 * An object store that forwards to a real one, and makes the next `n` downloads fail as an S3
 * outage would: to drive the trainer's retry path without stopping the shared S3 endpoint.
 */
export class FlakyStore implements ObjectStore {
  private failures = 0;

  constructor(private readonly inner: ObjectStore) {}

  failNextDownloads(n: number): void {
    this.failures = n;
  }

  private maybeFail(bucket: string, key: string): void {
    if (this.failures <= 0) return;
    this.failures -= 1;
    throw new StorageError('STORAGE_FAILED', `simulated outage reading ${bucket}/${key}`);
  }

  ensureBucket(bucket: string): Promise<void> {
    return this.inner.ensureBucket(bucket);
  }
  bucketExists(bucket: string): Promise<boolean> {
    return this.inner.bucketExists(bucket);
  }
  putObject(
    bucket: string,
    key: string,
    body: Buffer | string | Readable,
    options?: PutOptions,
  ): Promise<{ etag: string }> {
    return this.inner.putObject(bucket, key, body, options);
  }
  putFile(bucket: string, key: string, filePath: string, options?: PutOptions): Promise<{ etag: string }> {
    return this.inner.putFile(bucket, key, filePath, options);
  }
  async getObject(bucket: string, key: string): Promise<Readable> {
    this.maybeFail(bucket, key);
    return this.inner.getObject(bucket, key);
  }
  async getBuffer(bucket: string, key: string): Promise<Buffer> {
    this.maybeFail(bucket, key);
    return this.inner.getBuffer(bucket, key);
  }
  async getFile(bucket: string, key: string, filePath: string): Promise<void> {
    this.maybeFail(bucket, key);
    return this.inner.getFile(bucket, key, filePath);
  }
  stat(bucket: string, key: string): Promise<ObjectInfo | null> {
    return this.inner.stat(bucket, key);
  }
  list(bucket: string, prefix: string, options?: { recursive?: boolean }): Promise<ObjectInfo[]> {
    return this.inner.list(bucket, prefix, options);
  }
  copyObject(bucket: string, fromKey: string, toKey: string, options?: PutOptions): Promise<void> {
    return this.inner.copyObject(bucket, fromKey, toKey, options);
  }
  removeObjects(bucket: string, keys: string[]): Promise<void> {
    return this.inner.removeObjects(bucket, keys);
  }
  presignedGetUrl(bucket: string, key: string, expirySeconds?: number): Promise<string> {
    return this.inner.presignedGetUrl(bucket, key, expirySeconds);
  }

  presignedPutUrl(bucket: string, key: string, expirySeconds?: number): Promise<string> {
    return this.inner.presignedPutUrl(bucket, key, expirySeconds);
  }
}
