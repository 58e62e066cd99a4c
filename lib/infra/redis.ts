import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { EdgeStlError } from '../errors/index.js';
import { configuredRedisUrl, redisUrl } from './redis-connection.js';

export interface EnsureRedisOptions {
  /** Redis to try first; defaults to `REDIS_URL`, then {@link DEFAULT_REDIS_URL}. */
  url?: string;
  /** Data directory of a spawned redis-server; when given, it persists (RDB snapshots) there. */
  dir?: string;
  log?: Logger;
  /** The server binary to spawn; default `redis-server` from PATH. */
  serverCommand?: string;
  /** How long a spawned server may take to answer PING (ms). */
  startTimeoutMs?: number;
  /** false: never reuse a running Redis, always spawn one (the local mode wants its own, persistent). */
  reuse?: boolean;
}

export interface RedisHandle {
  /** `redis://host:port` of the Redis in use. */
  url: string;
  /** True when this call started the server (and `stop()` will end it). */
  spawned: boolean;
  /** Stops a spawned server (no-op for a reused one). */
  stop(): Promise<void>;
}

/**
 * A Redis to talk to: reuses the one on `url` / `REDIS_URL` / 127.0.0.1:6379 when it answers PING,
 * else spawns `redis-server` on a free loopback port and waits until it is ready.
 * Throws an {@link EdgeStlError} `REDIS_UNAVAILABLE` when no Redis answers and none can be started.
 */
export async function ensureRedis(options: EnsureRedisOptions = {}): Promise<RedisHandle> {
  if (options.reuse === false) return spawnRedis(options);
  const candidate = options.url ?? redisUrl();
  if (await pingRedis(candidate)) {
    options.log?.info({ url: candidate }, 'Reusing Redis');
    return { url: candidate, spawned: false, stop: async () => {} };
  }
  if (options.url !== undefined || configuredRedisUrl() !== undefined) {
    options.log?.warn({ url: candidate }, 'Configured Redis does not answer, spawning one');
  }
  return spawnRedis(options);
}

/** True when a Redis on `url` answers PING within `timeoutMs`. Never retries. */
export async function pingRedis(url: string, timeoutMs = 500): Promise<boolean> {
  const client = new Redis(url, {
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: true,
    lazyConnect: true,
    // After a refused connection ioredis would keep a 2 s destroy timer alive and delay process exit.
    disconnectTimeout: 50,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function spawnRedis(options: EnsureRedisOptions): Promise<RedisHandle> {
  const port = await freePort();
  const args = [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--appendonly',
    'no',
    '--protected-mode',
    'yes',
  ];
  if (options.dir) {
    await mkdir(options.dir, { recursive: true });
    // Snapshot often enough that a local `up` session survives a restart without losing much.
    args.push('--dir', options.dir, '--save', '60 1', '--save', '10 100', '--dbfilename', 'dump.rdb');
  } else {
    args.push('--save', '');
  }
  const command = options.serverCommand ?? 'redis-server';
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    if (output.length < 8192) output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const url = `redis://127.0.0.1:${port}`;
  try {
    await waitUntilReady(child, url, options.startTimeoutMs ?? 10_000);
  } catch (err) {
    child.kill('SIGKILL');
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new EdgeStlError(
        'REDIS_UNAVAILABLE',
        `No Redis answers on REDIS_URL or 127.0.0.1:6379 and \`${command}\` is not installed. ` +
          'Install it (`apt-get install redis-server`) or set REDIS_URL to a running Redis.',
        { cause: err },
      );
    }
    throw new EdgeStlError(
      'REDIS_UNAVAILABLE',
      `redis-server did not start on port ${port}: ${output.trim().slice(-500)}`,
      {
        cause: err,
      },
    );
  }
  options.log?.info({ url, dir: options.dir, pid: child.pid }, 'Started redis-server');
  return { url, spawned: true, stop: () => stopChild(child) };
}

async function waitUntilReady(child: ChildProcess, url: string, timeoutMs: number): Promise<void> {
  let failure: Error | undefined;
  child.once('error', (err) => (failure = err));
  child.once(
    'exit',
    (code, signal) => (failure ??= new Error(`redis-server exited (code ${code}, signal ${signal})`)),
  );
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (failure) throw failure;
    if (await pingRedis(url, 200)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw failure ?? new Error(`redis-server did not answer PING within ${timeoutMs} ms`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // SIGTERM makes redis-server write its final snapshot when persistence is on.
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** A TCP port free on loopback right now (the OS picks it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
