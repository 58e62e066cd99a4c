import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ensureRedis, freePort, pingRedis } from '../../../lib/infra/redis.js';
import { testRedisUrl } from '../../support/env.js';

const savedRedisUrl = process.env.REDIS_URL;
afterEach(() => {
  process.env.REDIS_URL = savedRedisUrl;
});

describe('ensureRedis', () => {
  test('reuses a Redis that answers PING', async () => {
    const handle = await ensureRedis({ url: testRedisUrl() });
    expect(handle).toMatchObject({ url: testRedisUrl(), spawned: false });
    await handle.stop();
    expect(await pingRedis(testRedisUrl())).toBe(true);
  });

  test('spawns redis-server on a free port when nothing answers, persisting into dir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-stl-redis-'));
    const deadPort = await freePort();
    process.env.REDIS_URL = `redis://127.0.0.1:${deadPort}`;
    const handle = await ensureRedis({ dir });
    try {
      expect(handle.spawned).toBe(true);
      expect(handle.url).not.toBe(process.env.REDIS_URL);
      const client = new Redis(handle.url);
      await client.set('edge-stl:test', 'persisted');
      expect(await client.get('edge-stl:test')).toBe('persisted');
      client.disconnect();
    } finally {
      await handle.stop();
    }
    expect(await pingRedis(handle.url)).toBe(false);
    // SIGTERM made the server write its snapshot into dir; a new server on that dir reads it back.
    expect(await readdir(dir)).toContain('dump.rdb');
    const again = await ensureRedis({ reuse: false, dir });
    const reader = new Redis(again.url);
    try {
      expect(await reader.get('edge-stl:test')).toBe('persisted');
    } finally {
      reader.disconnect();
      await again.stop();
    }
    await rm(dir, { recursive: true, force: true });
  });

  test('reuse: false spawns its own server even when one answers', async () => {
    const handle = await ensureRedis({ url: testRedisUrl(), reuse: false });
    try {
      expect(handle.spawned).toBe(true);
      expect(handle.url).not.toBe(testRedisUrl());
      expect(await pingRedis(handle.url)).toBe(true);
    } finally {
      await handle.stop();
    }
  });

  test('fails with a clear REDIS_UNAVAILABLE error when redis-server is not installed', async () => {
    process.env.REDIS_URL = `redis://127.0.0.1:${await freePort()}`;
    await expect(ensureRedis({ serverCommand: 'redis-server-not-installed' })).rejects.toMatchObject({
      code: 'REDIS_UNAVAILABLE',
      message: expect.stringContaining('apt-get install redis-server'),
    });
  });

  test('pingRedis answers false quickly for a closed port', async () => {
    const started = Date.now();
    expect(await pingRedis(`redis://127.0.0.1:${await freePort()}`)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
