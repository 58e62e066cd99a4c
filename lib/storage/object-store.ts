import type { Readable } from 'node:stream';

/** Where an S3-compatible endpoint lives and how to sign for it. Credentials come from env or Secrets. */
export interface S3Config {
  /** e.g. `http://127.0.0.1:9000` */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region?: string;
}

export interface ObjectInfo {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
  /** User metadata, keys lower-cased without the `x-amz-meta-` prefix. */
  metadata: Record<string, string>;
}

export interface PutOptions {
  contentType?: string;
  metadata?: Record<string, string>;
  /** Byte length of a stream body when known; lets the store stream it without spooling to disk first. */
  size?: number;
}

/**
 * The object-store port. Parts see this interface, never the minio client, so they work the same
 * against MinIO, AWS S3 or the embedded s3rver.
 */
export interface ObjectStore {
  ensureBucket(bucket: string): Promise<void>;
  bucketExists(bucket: string): Promise<boolean>;
  putObject(
    bucket: string,
    key: string,
    body: Buffer | string | Readable,
    options?: PutOptions,
  ): Promise<{ etag: string }>;
  putFile(bucket: string, key: string, filePath: string, options?: PutOptions): Promise<{ etag: string }>;
  getObject(bucket: string, key: string): Promise<Readable>;
  getBuffer(bucket: string, key: string): Promise<Buffer>;
  /** Downloads to `filePath` atomically: a reader, or a crash, never finds a half file there. */
  getFile(bucket: string, key: string, filePath: string): Promise<void>;
  /** Metadata of an object, or null when it does not exist. */
  stat(bucket: string, key: string): Promise<ObjectInfo | null>;
  list(bucket: string, prefix: string, options?: { recursive?: boolean }): Promise<ObjectInfo[]>;
  copyObject(bucket: string, fromKey: string, toKey: string, options?: PutOptions): Promise<void>;
  removeObjects(bucket: string, keys: string[]): Promise<void>;
  presignedGetUrl(bucket: string, key: string, expirySeconds?: number): Promise<string>;
  /** A URL that lets its holder PUT this one key, and nothing else, until it expires. */
  presignedPutUrl(bucket: string, key: string, expirySeconds?: number): Promise<string>;
  /** Cuts every request in flight (they fail); for a shutdown whose deadline has passed. */
  abortInFlight?(): void;
}
