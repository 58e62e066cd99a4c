import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { EdgeStlError } from '../lib/errors/index.js';

/** Deletes the lock only when it still holds our token (a lock that expired and was re-taken is not ours). */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface RedisLockOptions {
  /** The lock expires after this long if its holder dies (default 10 s). */
  ttlMs?: number;
  /** Give up acquiring after this long (default 15 s). */
  waitMs?: number;
}

/**
 * Runs `fn` while holding a Redis lock (`SET key token NX PX ttl`), so that several replicas of a
 * service serialise a read-modify-write on an object store that has no conditional writes.
 */
export async function withRedisLock<T>(
  redis: Redis,
  key: string,
  fn: () => Promise<T>,
  options: RedisLockOptions = {},
): Promise<T> {
  const ttlMs = options.ttlMs ?? 10_000;
  const deadline = Date.now() + (options.waitMs ?? 15_000);
  const token = randomUUID();
  let delay = 5;
  while ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') {
    if (Date.now() > deadline) throw new EdgeStlError('LOCK_TIMEOUT', `could not take lock ${key} in time`);
    await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay));
    delay = Math.min(delay * 2, 100);
  }
  try {
    return await fn();
  } finally {
    await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
  }
}
