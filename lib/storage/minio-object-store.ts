import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  Client,
  CopyDestinationOptions,
  CopySourceOptions,
  type BucketItem,
  type ClientOptions,
} from 'minio';
import type { ObjectInfo, ObjectStore, PutOptions, S3Config } from './object-store.js';
import { StorageError } from './storage-error.js';
import { TimeoutTransport } from './timeout-transport.js';
import { replaceFile } from '../fs/atomic-write.js';

/** Options of the minio adapter beyond the endpoint and credentials. */
export interface MinioObjectStoreOptions {
  /** Objects larger than this go up as multipart uploads in parts of this size. Min 5 MiB; default 64 MiB. */
  partSize?: number;
  /**
   * Endpoint that presigned URLs are signed for, when their users reach S3 at another address than
   * this process does (edge nodes behind NAT). Signing needs no network call: the region is set.
   */
  presignEndpoint?: string;
  /** A request whose connection stays silent this long fails with `S3_TIMEOUT` (default 30 s). */
  requestTimeoutMs?: number;
}

/** Default idle deadline of one S3 request: long for S3, short enough to fail over a dead link. */
export const DEFAULT_S3_REQUEST_TIMEOUT_MS = 30_000;

/** Default region: set explicitly so the client never issues a GetBucketLocation round trip. */
const DEFAULT_REGION = 'us-east-1';
/** S3 DeleteObjects accepts at most this many keys per request. */
const DELETE_BATCH = 1000;
/** Response headers minio reports as metadata that are not user metadata. */
const STANDARD_HEADERS = new Set([
  'content-type',
  'cache-control',
  'content-encoding',
  'content-disposition',
  'content-language',
  'if-none-match',
  'if-match',
]);

/** The {@link ObjectStore} port over the `minio` client: MinIO, AWS S3 and the embedded s3rver alike. */
export class MinioObjectStore implements ObjectStore {
  readonly client: Client;
  private readonly presignClient: Client;
  private readonly transport: TimeoutTransport;

  constructor(config: S3Config, options: MinioObjectStoreOptions = {}) {
    const url = parseEndpoint(config.endpoint);
    this.transport = new TimeoutTransport(
      url.protocol as 'http:' | 'https:',
      options.requestTimeoutMs ?? DEFAULT_S3_REQUEST_TIMEOUT_MS,
    );
    this.client = minioClient(config, config.endpoint, {
      partSize: options.partSize,
      transport: this.transport,
    });
    // Presigning makes no request, so that client needs no transport.
    this.presignClient = options.presignEndpoint ? minioClient(config, options.presignEndpoint) : this.client;
  }

  abortInFlight(): void {
    this.transport.abortAll();
  }

  async bucketExists(bucket: string): Promise<boolean> {
    return this.call(bucket, '', () => this.client.bucketExists(bucket));
  }

  async ensureBucket(bucket: string): Promise<void> {
    if (await this.bucketExists(bucket)) return;
    try {
      await this.client.makeBucket(bucket);
    } catch (err) {
      // Another process created it between the check and the create: that is what we wanted.
      if (['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(errorCode(err) ?? '')) return;
      throw wrap(err, bucket, '');
    }
  }

  async putObject(
    bucket: string,
    key: string,
    body: Buffer | string | Readable,
    options: PutOptions = {},
  ): Promise<{ etag: string }> {
    const headers = putHeaders(options);
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      return this.call(bucket, key, () => this.client.putObject(bucket, key, body, undefined, headers));
    }
    if (options.size !== undefined) {
      return this.call(bucket, key, () => this.client.putObject(bucket, key, body, options.size, headers));
    }
    // Without a length minio would buffer a part sized for the 5 TiB maximum in memory; a spool file
    // keeps memory flat and gives it the length.
    const spoolDir = await mkdtemp(join(tmpdir(), 'edge-stl-put-'));
    try {
      const spool = join(spoolDir, 'body');
      await pipeline(body, createWriteStream(spool));
      return await this.putFile(bucket, key, spool, options);
    } finally {
      await rm(spoolDir, { recursive: true, force: true });
    }
  }

  async putFile(
    bucket: string,
    key: string,
    filePath: string,
    options: PutOptions = {},
  ): Promise<{ etag: string }> {
    return this.call(bucket, key, () => this.client.fPutObject(bucket, key, filePath, putHeaders(options)));
  }

  async getObject(bucket: string, key: string): Promise<Readable> {
    return this.call(bucket, key, () => this.client.getObject(bucket, key));
  }

  async getBuffer(bucket: string, key: string): Promise<Buffer> {
    const stream = await this.getObject(bucket, key);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of stream) chunks.push(chunk as Buffer);
    } catch (err) {
      throw wrap(err, bucket, key);
    }
    return Buffer.concat(chunks);
  }

  async getFile(bucket: string, key: string, filePath: string): Promise<void> {
    await mkdir(dirname(filePath), { recursive: true });
    try {
      await replaceFile(
        filePath,
        async (partial) => pipeline(await this.getObject(bucket, key), createWriteStream(partial)),
        { tempSuffix: 'part' },
      );
    } catch (err) {
      throw err instanceof StorageError ? err : wrap(err, bucket, key);
    }
  }

  async stat(bucket: string, key: string): Promise<ObjectInfo | null> {
    try {
      const stat = await this.client.statObject(bucket, key);
      return {
        key,
        size: stat.size,
        etag: stat.etag,
        lastModified: stat.lastModified,
        metadata: userMetadata(stat.metaData),
      };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw wrap(err, bucket, key);
    }
  }

  /** Objects under `prefix` (recursive by default). Listing does not carry user metadata: `metadata` is `{}`. */
  async list(bucket: string, prefix: string, options: { recursive?: boolean } = {}): Promise<ObjectInfo[]> {
    const stream = this.client.listObjectsV2(bucket, prefix, options.recursive ?? true);
    const items: ObjectInfo[] = [];
    try {
      for await (const item of stream as AsyncIterable<BucketItem>) {
        if (!item.name) continue; // a common prefix ("directory") of a non-recursive listing
        items.push({
          key: item.name,
          size: item.size,
          etag: item.etag ?? '',
          lastModified: item.lastModified ?? new Date(0),
          metadata: {},
        });
      }
    } catch (err) {
      throw wrap(err, bucket, prefix);
    }
    return items;
  }

  /** Server-side copy inside one bucket; `options` replaces the metadata, else it is kept. */
  async copyObject(bucket: string, fromKey: string, toKey: string, options?: PutOptions): Promise<void> {
    const source = new CopySourceOptions({ Bucket: bucket, Object: fromKey });
    const replace = options && (options.metadata !== undefined || options.contentType !== undefined);
    const dest = new CopyDestinationOptions({
      Bucket: bucket,
      Object: toKey,
      ...(replace
        ? {
            MetadataDirective: 'REPLACE' as const,
            UserMetadata: options.metadata ?? {},
            ...(options.contentType ? { Headers: { 'Content-Type': options.contentType } } : {}),
          }
        : {}),
    });
    await this.call(bucket, fromKey, () => this.client.copyObject(source, dest));
  }

  async removeObjects(bucket: string, keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      const results = await this.call(bucket, '', () => this.client.removeObjects(bucket, batch));
      const failed = results.filter((r) => r?.Error && r.Error.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        const first = failed[0]!.Error!;
        throw new StorageError(
          'STORAGE_FAILED',
          `Could not remove ${failed.length} object(s) from bucket "${bucket}", first "${first.Key}": ${first.Code}`,
        );
      }
    }
  }

  async presignedGetUrl(bucket: string, key: string, expirySeconds = 3600): Promise<string> {
    return this.call(bucket, key, () => this.presignClient.presignedGetObject(bucket, key, expirySeconds));
  }

  async presignedPutUrl(bucket: string, key: string, expirySeconds = 600): Promise<string> {
    return this.call(bucket, key, () => this.presignClient.presignedPutObject(bucket, key, expirySeconds));
  }

  /** Runs one client call and turns its failure into a {@link StorageError} naming bucket and key. */
  private async call<T>(bucket: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw wrap(err, bucket, key);
    }
  }
}

/** The production object store for `config` (see {@link MinioObjectStore}). */
export function createObjectStore(config: S3Config, options?: MinioObjectStoreOptions): ObjectStore {
  return new MinioObjectStore(config, options);
}

function parseEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (err) {
    throw new StorageError(
      'S3_CONFIG_MISSING',
      `Invalid S3 endpoint "${endpoint}" (expected http(s)://host:port)`,
      { cause: err },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StorageError(
      'S3_CONFIG_MISSING',
      `Invalid S3 endpoint "${endpoint}": scheme must be http or https`,
    );
  }
  return url;
}

function putHeaders(options: PutOptions): Record<string, string> {
  // minio prefixes every non-standard header key with `x-amz-meta-`.
  const headers: Record<string, string> = { ...(options.metadata ?? {}) };
  if (options.contentType) headers['Content-Type'] = options.contentType;
  return headers;
}

function userMetadata(meta: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(meta)) {
    const lower = key.toLowerCase();
    if (STANDARD_HEADERS.has(lower) || lower.startsWith('x-amz-')) continue;
    out[lower] = String(value);
  }
  return out;
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err
    ? String((err as { code: unknown }).code)
    : undefined;
}

function isNotFound(err: unknown): boolean {
  return ['NotFound', 'NoSuchKey', 'NoSuchBucket'].includes(errorCode(err) ?? '');
}

function wrap(err: unknown, bucket: string, key: string): StorageError {
  const where = key ? `"${key}" in bucket "${bucket}"` : `bucket "${bucket}"`;
  if (err instanceof StorageError && err.code === 'S3_TIMEOUT')
    return new StorageError('S3_TIMEOUT', `Object store request for ${where} timed out: ${err.message}`, {
      cause: err,
    });
  if (err instanceof StorageError) return err;
  const code = errorCode(err);
  if (code === 'NoSuchBucket')
    return new StorageError('BUCKET_NOT_FOUND', `Bucket "${bucket}" does not exist`, { cause: err });
  if (code === 'NoSuchKey' || code === 'NotFound') {
    return new StorageError('OBJECT_NOT_FOUND', `Object ${where} does not exist`, { cause: err });
  }
  const reason = err instanceof Error ? err.message : String(err);
  return new StorageError('STORAGE_FAILED', `Object store request for ${where} failed: ${code ?? reason}`, {
    cause: err,
  });
}

function minioClient(
  config: S3Config,
  endpoint: string,
  options: { partSize?: number; transport?: TimeoutTransport } = {},
): Client {
  const { partSize, transport } = options;
  const url = parseEndpoint(endpoint);
  return new Client({
    ...(transport ? { transport: transport as unknown as ClientOptions['transport'] } : {}),
    endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : undefined,
    useSSL: url.protocol === 'https:',
    accessKey: config.accessKey,
    secretKey: config.secretKey,
    region: config.region ?? DEFAULT_REGION,
    pathStyle: true,
    ...(partSize ? { partSize } : {}),
  });
}
