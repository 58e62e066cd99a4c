import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { withRedisLock } from '../../labeling/redis-lock.js';
import { testRedisUrl } from '../support/env.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('withRedisLock', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(testRedisUrl());
  });
  afterAll(() => redis.disconnect());

  it('is renewed while held: work longer than the TTL keeps others out until it ends', async () => {
    const key = `test:lock:${randomBytes(4).toString('hex')}`;
    const events: string[] = [];
    const slow = withRedisLock(
      redis,
      key,
      async (signal) => {
        events.push('slow start');
        await sleep(1500); // five TTLs: without renewal the lock would be free after 300 ms
        events.push(signal.aborted ? 'slow lost' : 'slow end');
      },
      { ttlMs: 300 },
    );
    await sleep(50);
    const other = withRedisLock(redis, key, async () => void events.push('other'), {
      ttlMs: 300,
      waitMs: 5000,
    });
    await Promise.all([slow, other]);
    expect(events).toEqual(['slow start', 'slow end', 'other']);
    expect(await redis.exists(key)).toBe(0);
  });

  it("aborts the holder's signal when the lock is taken from it, so it does not write", async () => {
    const key = `test:lock:${randomBytes(4).toString('hex')}`;
    const reason = await withRedisLock(
      redis,
      key,
      async (signal) => {
        await redis.set(key, 'someone-else'); // as if the TTL had run out and another replica took it
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        return signal.reason as Error;
      },
      { ttlMs: 300 },
    );
    expect(reason.message).toMatch(/lost lock/);
    // Release leaves the other holder's lock alone.
    expect(await redis.get(key)).toBe('someone-else');
    await redis.del(key);
  });
});
