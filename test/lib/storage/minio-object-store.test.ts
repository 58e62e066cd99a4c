import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { PassThrough, Readable } from 'node:stream';
import { MinioObjectStore } from '../../../lib/storage/minio-object-store.js';
import { StorageError } from '../../../lib/storage/storage-error.js';
import { testS3Config, testStore, uniqueBucket } from '../../support/env.js';

const store = testStore();
const bucket = uniqueBucket('storage-store');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-stl-store-'));
  await store.ensureBucket(bucket);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('MinioObjectStore against the embedded S3 endpoint', () => {
  test('ensureBucket is idempotent and bucketExists tells buckets apart', async () => {
    await store.ensureBucket(bucket);
    expect(await store.bucketExists(bucket)).toBe(true);
    expect(await store.bucketExists(uniqueBucket('absent'))).toBe(false);
  });

  test('puts a buffer with metadata and reads it back with stat', async () => {
    const body = Buffer.from('hello edge');
    await store.putObject(bucket, 'a/hello.txt', body, {
      contentType: 'text/plain',
      metadata: { sha256: sha(body) },
    });
    expect((await store.getBuffer(bucket, 'a/hello.txt')).toString()).toBe('hello edge');
    const info = await store.stat(bucket, 'a/hello.txt');
    expect(info).toMatchObject({ key: 'a/hello.txt', size: body.length, metadata: { sha256: sha(body) } });
    expect(info!.etag).toMatch(/^[0-9a-f]{32}$/);
    expect(Object.keys(info!.metadata)).toEqual(['sha256']);
  });

  test('stat answers null for a missing object; get throws a typed OBJECT_NOT_FOUND', async () => {
    expect(await store.stat(bucket, 'nope/missing.bin')).toBeNull();
    await expect(store.getBuffer(bucket, 'nope/missing.bin')).rejects.toMatchObject({
      name: 'StorageError',
      code: 'OBJECT_NOT_FOUND',
    });
    await expect(store.getFile(bucket, 'nope/missing.bin', join(dir, 'missing.bin'))).rejects.toBeInstanceOf(
      StorageError,
    );
  });

  test('streams of unknown length are spooled and stored whole', async () => {
    const data = randomBytes(300_000);
    await store.putObject(
      bucket,
      'stream/unknown.bin',
      Readable.from([data.subarray(0, 1000), data.subarray(1000)]),
    );
    const out = await store.getObject(bucket, 'stream/unknown.bin');
    const chunks: Buffer[] = [];
    for await (const chunk of out) chunks.push(chunk as Buffer);
    expect(sha(Buffer.concat(chunks))).toBe(sha(data));
  });

  test('files go up and come down byte-identical; getFile creates parent directories', async () => {
    const data = randomBytes(100_000);
    await writeFile(join(dir, 'in.bin'), data);
    await store.putFile(bucket, 'files/in.bin', join(dir, 'in.bin'), { metadata: { kind: 'test' } });
    await store.getFile(bucket, 'files/in.bin', join(dir, 'deep', 'er', 'out.bin'));
    expect(sha(await readFile(join(dir, 'deep', 'er', 'out.bin')))).toBe(sha(data));
  });

  test('objects over partSize go up as a multipart upload (ListMultipartUploads shim included)', async () => {
    const multipart = new MinioObjectStore(testS3Config(), { partSize: 5 * 1024 * 1024 });
    // The client's request trace shows which S3 calls the upload made.
    const trace = new PassThrough();
    const lines: string[] = [];
    trace.on('data', (chunk: Buffer) =>
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((l) => l.startsWith('REQUEST:')),
      ),
    );
    multipart.client.traceOn(trace);

    const data = randomBytes(11 * 1024 * 1024 + 123);
    await writeFile(join(dir, 'big.bin'), data);
    await multipart.putFile(bucket, 'big/big.bin', join(dir, 'big.bin'));
    expect(lines.filter((l) => /^REQUEST: GET \/[^/?]+\?.*uploads/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /^REQUEST: POST .*\?uploads/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /^REQUEST: PUT .*partNumber=\d+&uploadId=/.test(l))).toHaveLength(3);
    expect(lines.filter((l) => /^REQUEST: POST .*\?uploadId=/.test(l))).toHaveLength(1);
    const info = await multipart.stat(bucket, 'big/big.bin');
    expect(info!.size).toBe(data.length);
    expect(sha(await multipart.getBuffer(bucket, 'big/big.bin'))).toBe(sha(data));

    lines.length = 0;
    const streamed = randomBytes(6 * 1024 * 1024);
    const chunks = Array.from({ length: 6 }, (_, i) =>
      streamed.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024),
    );
    await multipart.putObject(bucket, 'big/streamed.bin', Readable.from(chunks), { size: streamed.length });
    expect(lines.filter((l) => /^REQUEST: PUT .*partNumber=\d+&uploadId=/.test(l))).toHaveLength(2);
    expect(sha(await multipart.getBuffer(bucket, 'big/streamed.bin'))).toBe(sha(streamed));
    multipart.client.traceOff();
  });

  test('lists by prefix, recursively or one level', async () => {
    for (const key of ['list/x/1.txt', 'list/x/2.txt', 'list/y/3.txt', 'list/top.txt', 'listing-other.txt']) {
      await store.putObject(bucket, key, key);
    }
    const all = await store.list(bucket, 'list/');
    expect(all.map((o) => o.key).sort()).toEqual([
      'list/top.txt',
      'list/x/1.txt',
      'list/x/2.txt',
      'list/y/3.txt',
    ]);
    expect(all.find((o) => o.key === 'list/top.txt')!.size).toBe('list/top.txt'.length);
    const shallow = await store.list(bucket, 'list/', { recursive: false });
    expect(shallow.map((o) => o.key)).toEqual(['list/top.txt']);
    expect(await store.list(bucket, 'nothing-here/')).toEqual([]);
  });

  test('copies server-side, keeping or replacing metadata', async () => {
    await store.putObject(bucket, 'copy/src.txt', 'source', { metadata: { origin: 'src' } });
    await store.copyObject(bucket, 'copy/src.txt', 'copy/kept.txt');
    expect((await store.getBuffer(bucket, 'copy/kept.txt')).toString()).toBe('source');
    expect((await store.stat(bucket, 'copy/kept.txt'))!.metadata).toEqual({ origin: 'src' });
    await store.copyObject(bucket, 'copy/src.txt', 'copy/replaced.txt', { metadata: { origin: 'copy' } });
    expect((await store.stat(bucket, 'copy/replaced.txt'))!.metadata).toEqual({ origin: 'copy' });
  });

  test('removes objects in bulk, missing keys included, without server errors or retries', async () => {
    const keys = Array.from({ length: 25 }, (_, i) => `rm/dir/${i}.txt`);
    for (const key of keys) await store.putObject(bucket, key, key);
    // minio logs a console warning when it retries a failed request.
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      await store.removeObjects(bucket, [...keys, 'rm/never-existed']);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
    expect(await store.list(bucket, 'rm/')).toEqual([]);
    await store.removeObjects(bucket, []);
  });

  test('a presigned GET URL downloads the object over plain HTTP without credentials', async () => {
    await store.putObject(bucket, 'presigned/model.zip', 'zip bytes');
    const url = await store.presignedGetUrl(bucket, 'presigned/model.zip', 60);
    expect(url).toContain('X-Amz-Signature=');
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('zip bytes');
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('60');
  });

  test('presigned URLs can be signed for the endpoint the edge reaches (presignEndpoint)', async () => {
    await store.putObject(bucket, 'presigned/public.zip', 'public bytes');
    const config = testS3Config();
    const publicEndpoint = config.endpoint.replace('127.0.0.1', 'localhost');
    const edgeFacing = new MinioObjectStore(config, { presignEndpoint: publicEndpoint });
    const url = await edgeFacing.presignedGetUrl(bucket, 'presigned/public.zip', 60);
    expect(url.startsWith(`${publicEndpoint}/${bucket}/presigned/public.zip?`)).toBe(true);
    const response = await fetch(url);
    expect(await response.text()).toBe('public bytes');
  });

  test('a missing bucket is a typed BUCKET_NOT_FOUND', async () => {
    await expect(store.putObject(uniqueBucket('missing'), 'k', 'v')).rejects.toMatchObject({
      code: 'BUCKET_NOT_FOUND',
    });
  });

  test('wrong credentials fail with a StorageError, not a raw client error', async () => {
    const bad = new MinioObjectStore({ ...testS3Config(), accessKey: 'WRONGKEY' });
    await expect(bad.putObject(bucket, 'k', 'v')).rejects.toMatchObject({
      name: 'StorageError',
      code: 'STORAGE_FAILED',
    });
  });
});
