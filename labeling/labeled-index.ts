import type { Redis } from 'ioredis';
import { EdgeStlError } from '../lib/errors/index.js';
import { labeledIndexKey } from '../lib/storage/layout.js';
import type { ObjectStore } from '../lib/storage/object-store.js';
import { withRedisLock } from './redis-lock.js';

interface PendingLine {
  line: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface JobQueue {
  pending: PendingLine[];
  running: boolean;
  at: IndexLocation;
}

/** Where a job's index lives: its bucket, reached with its own credentials. */
export interface IndexLocation {
  store: ObjectStore;
  bucket: string;
}

/** Attempts to write and verify one batch before giving up. */
const MAX_WRITE_ATTEMPTS = 5;

/**
 * Appends lines to `labeled/<ns>/<job>/index.txt` without ever losing one. S3 (and s3rver) has no
 * conditional writes, so appends of one job are serialised: in this process by a per-job queue
 * (which also group-commits lines that arrive together into one write), across replicas by a Redis
 * lock. After each write the index is read back and the write retried until every line is there.
 * A line already present is not added twice, so a repeated save is harmless. Each call may name the
 * job's own bucket and store (jobs differ in both); the constructor's are the default.
 */
export class LabeledIndex {
  private readonly queues = new Map<string, JobQueue>();
  /** Index writes done (a batch of lines is one write); for metrics and benchmarks. */
  writes = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly bucket: string,
    private readonly redis?: Redis,
    private readonly lockPrefix = 'edge-stl:labeling:lock:',
  ) {}

  /** Resolves once `line` is durably in the job's index. */
  append(namespace: string, job: string, line: string, at: IndexLocation = this.home): Promise<void> {
    if (/[\r\n]/.test(line))
      return Promise.reject(new EdgeStlError('INVALID_INDEX_LINE', 'an index line cannot contain a newline'));
    const key = labeledIndexKey(namespace, job);
    const queueKey = `${at.bucket}/${key}`;
    let queue = this.queues.get(queueKey);
    if (!queue) {
      queue = { pending: [], running: false, at };
      this.queues.set(queueKey, queue);
    }
    // The newest store of the job (its Secret may have been rotated since the queue started).
    queue.at = at;
    const done = new Promise<void>((resolve, reject) => queue.pending.push({ line, resolve, reject }));
    void this.drain(queueKey, key, queue);
    return done;
  }

  /** The lines of a job's index (empty when it does not exist yet). */
  async read(namespace: string, job: string, at: IndexLocation = this.home): Promise<string[]> {
    return this.readKey(at, labeledIndexKey(namespace, job));
  }

  private get home(): IndexLocation {
    return { store: this.store, bucket: this.bucket };
  }

  private async drain(queueKey: string, key: string, queue: JobQueue): Promise<void> {
    if (queue.running) return;
    queue.running = true;
    try {
      while (queue.pending.length > 0) {
        const batch = queue.pending.splice(0);
        try {
          await this.locked(queue.at.bucket, key, (lock) =>
            this.commit(
              queue.at,
              key,
              batch.map((p) => p.line),
              lock,
            ),
          );
          batch.forEach((p) => p.resolve());
        } catch (err) {
          batch.forEach((p) => p.reject(err));
        }
      }
    } finally {
      queue.running = false;
      if (queue.pending.length === 0) this.queues.delete(queueKey);
    }
  }

  private locked<T>(bucket: string, key: string, fn: (lock: AbortSignal) => Promise<T>): Promise<T> {
    return this.redis
      ? withRedisLock(this.redis, `${this.lockPrefix}${bucket}/${key}`, fn)
      : fn(new AbortController().signal);
  }

  /** `lock` aborts when the lock was lost: then no write, since another holder may be writing. */
  private async commit(at: IndexLocation, key: string, lines: string[], lock: AbortSignal): Promise<void> {
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      const current = await this.readKey(at, key);
      const present = new Set(current);
      const missing = [...new Set(lines)].filter((l) => !present.has(l));
      if (missing.length === 0) return;
      const text = [...current, ...missing].map((l) => `${l}\n`).join('');
      lock.throwIfAborted();
      await at.store.putObject(at.bucket, key, text, { contentType: 'text/plain' });
      this.writes += 1;
      const after = new Set(await this.readKey(at, key));
      if (lines.every((l) => after.has(l))) return;
    }
    throw new EdgeStlError(
      'INDEX_APPEND_FAILED',
      `could not append to ${key} after ${MAX_WRITE_ATTEMPTS} attempts`,
    );
  }

  private async readKey(at: IndexLocation, key: string): Promise<string[]> {
    let text: string;
    try {
      text = (await at.store.getBuffer(at.bucket, key)).toString('utf8');
    } catch (err) {
      if (err instanceof EdgeStlError && err.code === 'OBJECT_NOT_FOUND') return [];
      throw err;
    }
    return text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  }
}
