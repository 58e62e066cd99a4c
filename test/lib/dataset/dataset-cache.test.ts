import { readdir, readFile, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetCache } from '../../../lib/dataset/dataset-cache.js';
import type { ObjectStore } from '../../../lib/storage/object-store.js';
import { testStore, uniqueBucket } from '../../support/env.js';

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

  it('takes the metadata of a listing instead of a stat', async () => {
    await store.putObject(bucket, 'k/x.txt', 'listed');
    const [info] = await store.list(bucket, 'k/');
    const stats: string[] = [];
    const counting = Object.assign(Object.create(store) as ObjectStore, {
      stat: async (b: string, k: string) => {
        stats.push(k);
        return store.stat(b, k);
      },
    });
    const cache = new DatasetCache(counting, join(dir, 'c'));
    const path = await cache.fetch(bucket, 'k/x.txt', info);
    expect(await readFile(path!, 'utf8')).toBe('listed');
    expect(stats).toEqual([]);
    // A stat's ETag and a listing's give the same address.
    expect(await cache.fetch(bucket, 'k/x.txt')).toBe(path);
    expect(stats).toEqual(['k/x.txt']);
  });

  it('materializes a cached file as a link at its dataset path, replacing what was there', async () => {
    const cache = new DatasetCache(store, join(dir, 'd'));
    await store.putObject(bucket, 'm/a.jpeg', 'content');
    const cached = (await cache.fetch(bucket, 'm/a.jpeg'))!;
    const target = join(dir, 'round', 'JPEGImages', 'a.jpeg');
    await cache.materialize(cached, target);
    await writeFile(join(dir, 'round', 'JPEGImages', 'b.jpeg'), 'stale');
    await cache.materialize(cached, join(dir, 'round', 'JPEGImages', 'b.jpeg'));
    // Twice onto the same link: no temp file is left behind.
    await cache.materialize(cached, target);
    expect(await readdir(join(dir, 'round', 'JPEGImages'))).toEqual(['a.jpeg', 'b.jpeg']);
    expect(await readFile(join(dir, 'round', 'JPEGImages', 'b.jpeg'), 'utf8')).toBe('content');
    expect((await stat(target)).ino).toBe((await stat(cached)).ino);
    expect((await stat(cached)).nlink).toBe(3);
  });

  it('never shares one file between objects that have no ETag', async () => {
    await store.putObject(bucket, 'n/a.txt', 'aaaa');
    await store.putObject(bucket, 'n/b.txt', 'bbbb');
    const noEtag = Object.assign(Object.create(store) as ObjectStore, {
      stat: async (b: string, k: string) => {
        const info = await store.stat(b, k);
        return info && { ...info, etag: '' };
      },
    });
    const cache = new DatasetCache(noEtag, join(dir, 'e'));
    const listed = (await store.list(bucket, 'n/')).map((o) => ({ ...o, etag: '' }));
    const a = await cache.fetch(bucket, 'n/a.txt', listed[0]);
    const b = await cache.fetch(bucket, 'n/b.txt', listed[1]);
    expect(await readFile(a!, 'utf8')).toBe('aaaa');
    expect(await readFile(b!, 'utf8')).toBe('bbbb');
  });
});
