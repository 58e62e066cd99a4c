/** The Redis used when `REDIS_URL` names none. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The Redis the environment names (`REDIS_URL`), if any. */
export function configuredRedisUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.REDIS_URL;
}

/** `REDIS_URL`, else {@link DEFAULT_REDIS_URL}. */
export function redisUrl(env: NodeJS.ProcessEnv = process.env): string {
  return configuredRedisUrl(env) ?? DEFAULT_REDIS_URL;
}

/** Options both BullMQ and ioredis take. */
export interface RedisConnectionOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: Record<string, never>;
  /** null: retry until the connection is back (BullMQ requires it); a number: fail after that many. */
  maxRetriesPerRequest: number | null;
}

/**
 * Connection options from a `redis[s]://[user:pass@]host:port[/db]` URL, for BullMQ queues and
 * workers (which own and close the connections they open) and plain ioredis clients.
 * `maxRetriesPerRequest: null` by default: BullMQ requires it for blocking commands; reconnects keep
 * a worker alive across Redis restarts.
 */
export function redisConnection(
  url: string,
  options: Partial<Pick<RedisConnectionOptions, 'maxRetriesPerRequest'>> = {},
): RedisConnectionOptions {
  const u = new URL(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new Error(`Redis URL must start with redis:// or rediss://, got ${u.protocol}//`);
  }
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    ...options,
  };
}
