import { createHash } from 'node:crypto';
import { copyFile, link, mkdir, readdir, rm, stat, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { replaceFile } from '../fs/atomic-write.js';
import type { ObjectInfo, ObjectStore } from '../storage/object-store.js';

/** Hits and misses since the cache was created (or since `resetStats`). */
export interface CacheStats {
  hits: number;
  misses: number;
  bytesDownloaded: number;
}

/**
 * A content-addressed local cache of S3 objects: every round a trainer runs shares one, and
 * {@link downloadDataset} (the CLI and local mode) keeps one per cache directory. An object is
 * stored under `dir/<shard>/<address>`, the address derived from its ETag and size, so the same
 * image next time is a hit (no download) and a changed object under the same key is a miss. A
 * cached file whose size no longer matches is fetched again.
 */
export class DatasetCache {
  private readonly objectsDir: string;

  constructor(
    private readonly store: ObjectStore,
    readonly dir: string,
    private readonly shared: { pending: Map<string, Promise<string>>; stats: CacheStats } = {
      pending: new Map(),
      stats: { hits: 0, misses: 0, bytesDownloaded: 0 },
    },
  ) {
    this.objectsDir = dir;
  }

  /**
   * The same cache reading through another store (a job's own credentials): files, statistics and
   * downloads in flight are shared, since an object's address is its ETag and size.
   */
  withStore(store: ObjectStore): DatasetCache {
    return new DatasetCache(store, this.dir, this.shared);
  }

  private get pending(): Map<string, Promise<string>> {
    return this.shared.pending;
  }

  private get stats(): CacheStats {
    return this.shared.stats;
  }

  getStats(): CacheStats {
    return { ...this.stats };
  }

  /** Hits / (hits + misses), or 0 before any lookup. */
  hitRatio(): number {
    const total = this.stats.hits + this.stats.misses;
    return total === 0 ? 0 : this.stats.hits / total;
  }

  resetStats(): void {
    this.shared.stats = { hits: 0, misses: 0, bytesDownloaded: 0 };
  }

  /**
   * The local path of `bucket/key`, downloading it unless an identical copy is cached. Returns null
   * when the object does not exist. `known`: the object's metadata from a listing (saves a stat).
   */
  async fetch(bucket: string, key: string, known?: ObjectInfo): Promise<string | null> {
    const info = known?.etag ? known : await this.store.stat(bucket, key);
    if (!info) return null;
    const address = addressOf(bucket, key, info);
    const path = join(this.objectsDir, address.slice(0, 2), address);
    const inFlight = this.pending.get(address);
    if (inFlight) {
      this.stats.hits += 1;
      return inFlight;
    }
    if (await sizeIs(path, info.size)) {
      this.stats.hits += 1;
      // Touch it: pruning drops the least recently used objects first.
      const now = new Date();
      await utimes(path, now, now).catch(() => undefined);
      return path;
    }
    this.stats.misses += 1;
    const download = this.download(bucket, key, path, info.size).finally(() => this.pending.delete(address));
    this.pending.set(address, download);
    return download;
  }

  /**
   * Places a cached file at `target` (hard link, or a copy across file systems) so that algorithms
   * see the dataset's own file names. A reader of `target` sees the old file or the new one.
   */
  async materialize(cachedPath: string, target: string): Promise<void> {
    // Already linked: nothing to do (and rename(2) over a link to the same file would keep the temp).
    if (await sameFile(cachedPath, target)) return;
    await mkdir(dirname(target), { recursive: true });
    await replaceFile(target, async (temp) => {
      try {
        await link(cachedPath, temp);
      } catch {
        await copyFile(cachedPath, temp);
      }
    });
  }

  /**
   * Removes the least recently used objects until the cache holds at most `maxBytes`. Call it
   * between rounds: files a running round has materialized are hard links and survive anyway.
   */
  async prune(maxBytes: number): Promise<{ removed: number; bytes: number }> {
    const files: Array<{ path: string; size: number; used: number }> = [];
    for (const shard of await readdir(this.objectsDir).catch(() => [] as string[])) {
      for (const name of await readdir(join(this.objectsDir, shard)).catch(() => [] as string[])) {
        const path = join(this.objectsDir, shard, name);
        const info = await stat(path).catch(() => null);
        if (info?.isFile()) files.push({ path, size: info.size, used: info.mtimeMs });
      }
    }
    let total = files.reduce((sum, f) => sum + f.size, 0);
    let removed = 0;
    for (const file of files.sort((a, b) => a.used - b.used)) {
      if (total <= maxBytes) break;
      await rm(file.path, { force: true });
      total -= file.size;
      removed += 1;
    }
    return { removed, bytes: total };
  }

  private async download(bucket: string, key: string, path: string, size: number): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    // getFile writes beside the target and renames: a crash never leaves a half file under a valid address.
    await this.store.getFile(bucket, key, path);
    this.stats.bytesDownloaded += size;
    return path;
  }
}

/**
 * The cache name of an object: its ETag and size, so equal content under any key is one file.
 * Listings and stats may quote the ETag differently; the address must not depend on it. Without
 * an ETag, content cannot be shared safely: the key and its last change name the file instead.
 */
function addressOf(bucket: string, key: string, info: ObjectInfo): string {
  const etag = info.etag.replace(/"/g, '');
  const identity = etag
    ? `${etag}\0${info.size}`
    : `${bucket}/${key}\0${info.size}\0${info.lastModified.toISOString()}`;
  return createHash('sha256').update(identity).digest('hex');
}

async function sizeIs(path: string, size: number): Promise<boolean> {
  try {
    return (await stat(path)).size === size;
  } catch {
    return false;
  }
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([stat(a).catch(() => null), stat(b).catch(() => null)]);
  return x !== null && y !== null && x.dev === y.dev && x.ino === y.ino;
}
