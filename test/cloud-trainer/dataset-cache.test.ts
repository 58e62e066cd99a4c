import { readFile, rm, truncate, utimes } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetCache } from '../../cloud-trainer/dataset-cache.js';
import type { ObjectStore } from '../../lib/storage/object-store.js';
import { testStore, uniqueBucket } from '../support/env.js';

describe('dataset cache', () => {
  let store: ObjectStore;
  let bucket: string;
  let dir: string;

  beforeAll(async () => {
    store = testStore();
    bucket = uniqueBucket('trainer-cache');
    await store.ensureBucket(bucket);
    dir = await mkdtemp(join(tmpdir(), 'hf-cache-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reuses an unchanged object, refetches a changed or damaged one, and reports missing ones', async () => {
    const cache = new DatasetCache(store, join(dir, 'a'));
    await store.putObject(bucket, 'd/x.jpeg', Buffer.alloc(1000, 1));
    const first = await cache.fetch(bucket, 'd/x.jpeg');
    expect(await readFile(first!)).toEqual(Buffer.alloc(1000, 1));
    expect(await cache.fetch(bucket, 'd/x.jpeg')).toBe(first);
    expect(cache.getStats()).toEqual({ hits: 1, misses: 1, bytesDownloaded: 1000 });
    expect(cache.hitRatio()).toBe(0.5);

    // New content under the same key: new ETag, new address.
    await store.putObject(bucket, 'd/x.jpeg', Buffer.alloc(1000, 2));
    const changed = await cache.fetch(bucket, 'd/x.jpeg');
    expect(changed).not.toBe(first);
    expect(await readFile(changed!)).toEqual(Buffer.alloc(1000, 2));

    // A cached file that no longer has the object's size is fetched again.
    await truncate(changed!, 10);
    expect(await readFile((await cache.fetch(bucket, 'd/x.jpeg'))!)).toEqual(Buffer.alloc(1000, 2));
    expect(cache.getStats().misses).toBe(3);

    expect(await cache.fetch(bucket, 'd/none.jpeg')).toBeNull();
  });

  it('prunes the least recently used objects down to a size', async () => {
    const cache = new DatasetCache(store, join(dir, 'b'));
    const paths: string[] = [];
    for (let i = 0; i < 3; i++) {
      await store.putObject(bucket, `p/${i}`, Buffer.alloc(1000, 10 + i));
      paths.push((await cache.fetch(bucket, `p/${i}`))!);
      const past = new Date(Date.now() - (10 - i) * 60_000);
      await utimes(paths[i], past, past);
    }
    await cache.fetch(bucket, 'p/0'); // a hit makes p/0 the most recently used
    expect(await cache.prune(2000)).toEqual({ removed: 1, bytes: 2000 });
    await expect(readFile(paths[1])).rejects.toThrow();
    expect((await readFile(paths[0])).length).toBe(1000);
    expect((await readFile(paths[2])).length).toBe(1000);
  });
});
