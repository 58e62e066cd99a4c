import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { EdgeStlError } from '../lib/errors/index.js';
import { Backoff } from '../lib/net/backoff.js';
import { sleep } from '../lib/sleep.js';

/** Deletes the lock only when it still holds our token (a lock that expired and was re-taken is not ours). */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
/** Extends the lock only while it still holds our token. */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export interface RedisLockOptions {
  /** The lock expires after this long if its holder dies (default 10 s); renewed every third of it while held. */
  ttlMs?: number;
  /** Give up acquiring after this long (default 15 s). */
  waitMs?: number;
}

/** The lock was lost while held (Redis unreachable past the TTL, or the key taken over). */
export class LockLostError extends EdgeStlError {
  constructor(key: string, options?: { cause?: unknown }) {
    super('LOCK_LOST', `lost lock ${key} while holding it`, options);
  }
}

/**
 * Runs `fn` while holding a Redis lock (`SET key token NX PX ttl`), so that several replicas of a
 * service serialise a read-modify-write on an object store that has no conditional writes. The
 * lock is renewed while `fn` runs, so a slow S3 call does not let another replica in. If a renewal
 * finds the lock gone, `signal` aborts with {@link LockLostError}: `fn` checks it before it writes.
 */
export async function withRedisLock<T>(
  redis: Redis,
  key: string,
  fn: (signal: AbortSignal) => Promise<T>,
  options: RedisLockOptions = {},
): Promise<T> {
  const ttlMs = options.ttlMs ?? 10_000;
  const deadline = Date.now() + (options.waitMs ?? 15_000);
  const token = randomUUID();
  // Waits 5–10 ms at first, doubling up to 100–200 ms.
  const backoff = new Backoff({ baseMs: 10, maxMs: 200 });
  while ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') {
    if (Date.now() > deadline) throw new EdgeStlError('LOCK_TIMEOUT', `could not take lock ${key} in time`);
    await sleep(backoff.next());
  }
  const lost = new AbortController();
  const renewal = setInterval(
    () => {
      redis.eval(RENEW, 1, key, token, String(ttlMs)).then(
        (renewed) => {
          if (renewed !== 1) lost.abort(new LockLostError(key));
        },
        // A failed renewal is retried at the next tick; the TTL left covers a brief Redis hiccup.
        () => undefined,
      );
    },
    Math.max(10, Math.floor(ttlMs / 3)),
  );
  try {
    return await fn(lost.signal);
  } finally {
    clearInterval(renewal);
    await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
  }
}
