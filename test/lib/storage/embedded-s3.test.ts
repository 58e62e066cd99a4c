import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedS3, type EmbeddedS3 } from '../../../lib/storage/embedded-s3.js';
import { MinioObjectStore } from '../../../lib/storage/minio-object-store.js';

let dir: string;
let s3: EmbeddedS3 | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-stl-s3-'));
});

afterEach(async () => {
  await s3?.stop();
  s3 = undefined;
  await rm(dir, { recursive: true, force: true });
});

const storeOf = (server: EmbeddedS3): MinioObjectStore =>
  new MinioObjectStore({
    endpoint: server.endpoint,
    accessKey: server.accessKey,
    secretKey: server.secretKey,
  });

describe('startEmbeddedS3', () => {
  test('serves S3 on loopback and answers ListMultipartUploads with an empty list', async () => {
    s3 = await startEmbeddedS3({ dir });
    expect(s3.endpoint).toBe(`http://127.0.0.1:${s3.port}`);
    await storeOf(s3).ensureBucket('shim-bucket');

    const response = await fetch(`${s3.endpoint}/shim-bucket?uploads&prefix=a%2Fb`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/xml');
    const xml = await response.text();
    expect(xml).toContain('<ListMultipartUploadsResult');
    expect(xml).toContain('<Bucket>shim-bucket</Bucket>');
    expect(xml).toContain('<Prefix>a/b</Prefix>');
    expect(xml).toContain('<IsTruncated>false</IsTruncated>');
    expect(xml).not.toContain('<Upload>');

    // Everything else still reaches s3rver.
    const listing = await fetch(`${s3.endpoint}/shim-bucket`);
    expect(await listing.text()).toContain('<ListBucketResult');
  });

  test('restarts on the same port and directory with the data intact', async () => {
    s3 = await startEmbeddedS3({ dir });
    const { port, endpoint } = s3;
    await storeOf(s3).ensureBucket('restart-bucket');
    await storeOf(s3).putObject('restart-bucket', 'kept.txt', 'still here');

    await s3.stop();
    await expect(fetch(`${endpoint}/restart-bucket/kept.txt`)).rejects.toThrow();

    s3 = await startEmbeddedS3({ dir, port });
    expect(s3.endpoint).toBe(endpoint);
    expect((await storeOf(s3).getBuffer('restart-bucket', 'kept.txt')).toString()).toBe('still here');
  });

  test('stop does not wait for idle keep-alive connections and is idempotent', async () => {
    s3 = await startEmbeddedS3({ dir });
    const store = storeOf(s3);
    await store.ensureBucket('keepalive');
    await store.putObject('keepalive', 'k', 'v'); // leaves a pooled keep-alive socket open
    const started = Date.now();
    await s3.stop();
    await s3.stop();
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
