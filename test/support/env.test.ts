import { Redis } from 'ioredis';
import { isValidBucketName } from '../../lib/storage/s3-uri.js';
import { testRedisUrl, testS3Config, testStore, uniqueBucket } from './env.js';

describe('test environment (jest global setup)', () => {
  test('publishes a Redis that answers', async () => {
    const client = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
    try {
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });

  test('publishes an embedded S3 endpoint on loopback that the store can use', async () => {
    expect(testS3Config().endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const store = testStore();
    const bucket = uniqueBucket('support-env');
    await store.ensureBucket(bucket);
    await store.putObject(bucket, 'probe.txt', 'ok');
    expect((await store.getBuffer(bucket, 'probe.txt')).toString()).toBe('ok');
  });

  test.each(['x', 'My_Test File', '-leading-', 'a'.repeat(100), '', 'ünïcode'])(
    'uniqueBucket(%j) is a valid, fresh name',
    (prefix) => {
      const a = uniqueBucket(prefix);
      expect(isValidBucketName(a)).toBe(true);
      expect(uniqueBucket(prefix)).not.toBe(a);
    },
  );
});
