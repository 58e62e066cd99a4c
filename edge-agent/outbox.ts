import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertJobKey,
  assertName,
  jobKey,
  sampleRecordProblem,
  type JobKey,
  type SampleRecord,
} from '../lib/protocol/index.js';
import { fsyncDir, isTempFile, writeFileAtomic } from '../lib/fs/atomic-write.js';

interface Entry {
  stem: string;
  record: SampleRecord;
  bytes: number;
  claimed: boolean;
}

/** A sample handed to the uploader; give it back with `done` or `release`. */
export interface ClaimedSample {
  record: SampleRecord;
  imagePath: string;
  recordPath: string;
}

export interface OutboxOptions {
  /** Bytes on disk before the oldest samples are dropped. */
  maxBytes: number;
  /** Called once per sample dropped to make room. */
  onDrop?: (record: SampleRecord) => void;
  /** Called at open for each record that cannot be read; the files are moved to `rejected/`. */
  onRejected?: (stem: string, reason: string) => void;
}

/** Where unreadable records go at open: kept for a person to look at, out of the upload path. */
const REJECTED_DIR = 'rejected';

/** Samples survive a power cut, not only a crash of the agent. */
const DURABLE = { durable: true };

/**
 * The durable sample outbox: each kept image and its prediction are written as `<stem>.jpeg` then
 * `<stem>.json`, each through temp file + fsync + rename. The JSON is the commit marker: at open,
 * an image without its JSON (a crash between the two writes) and temp files are removed, so a
 * crash never leaves half a sample. The outbox is bounded on disk and drops the oldest unclaimed
 * samples, counting each, to make room.
 */
export class Outbox {
  private readonly entries = new Map<string, Entry>();
  private totalBytes = 0;
  private droppedCount = 0;
  private waiters: Array<() => void> = [];

  private constructor(
    readonly dir: string,
    private readonly options: OutboxOptions,
  ) {}

  /** Opens (creating) the outbox in `dir` and recovers what a previous run left. */
  static async open(dir: string, options: OutboxOptions): Promise<Outbox> {
    await mkdir(dir, { recursive: true });
    const outbox = new Outbox(dir, options);
    await outbox.recover();
    return outbox;
  }

  /** Samples waiting (claimed or not). */
  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Samples waiting per job (`<namespace>/<name>`). */
  countByJob(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { record } of this.entries.values()) {
      const key = jobKey(record.job);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }

  /** Samples dropped since open because the outbox was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  /**
   * Stores a sample durably. Returns false when the same image of the same job is already waiting
   * (its key would be the same, so a second copy adds nothing).
   */
  async add(record: SampleRecord, jpeg: Buffer): Promise<boolean> {
    const stem = sampleStem(record.job, record.id);
    if (this.entries.has(stem)) return false;
    const json = Buffer.from(JSON.stringify(record));
    const bytes = jpeg.length + json.length;
    // Reserve first so concurrent adds see the entry and the room it takes.
    const entry: Entry = { stem, record, bytes, claimed: true };
    this.entries.set(stem, entry);
    this.totalBytes += bytes;
    try {
      await this.makeRoom(stem);
      await writeFileAtomic(join(this.dir, `${stem}.jpeg`), jpeg, DURABLE);
      await writeFileAtomic(join(this.dir, `${stem}.json`), json, DURABLE);
    } catch (err) {
      this.entries.delete(stem);
      this.totalBytes -= bytes;
      await this.unlink(stem);
      throw err;
    }
    entry.claimed = false;
    this.wake();
    return true;
  }

  /** Claims the oldest unclaimed sample for upload, or returns null. */
  claim(): ClaimedSample | null {
    for (const entry of this.entries.values()) {
      if (entry.claimed) continue;
      entry.claimed = true;
      return {
        record: entry.record,
        imagePath: join(this.dir, `${entry.stem}.jpeg`),
        recordPath: join(this.dir, `${entry.stem}.json`),
      };
    }
    return null;
  }

  /** Gives a claimed sample back (its upload failed); it stays oldest-first. */
  release(sample: ClaimedSample): void {
    const entry = this.entries.get(sampleStem(sample.record.job, sample.record.id));
    if (entry) entry.claimed = false;
  }

  /** Removes an uploaded sample: JSON first, so a crash in between leaves an image the next open removes. */
  async done(sample: ClaimedSample): Promise<void> {
    const stem = sampleStem(sample.record.job, sample.record.id);
    const entry = this.entries.get(stem);
    if (!entry) return;
    await this.unlink(stem);
    this.entries.delete(stem);
    this.totalBytes -= entry.bytes;
  }

  /** Resolves when a sample is added (or at once if one is unclaimed), or when `signal` aborts. */
  waitForWork(signal: AbortSignal): Promise<void> {
    for (const entry of this.entries.values()) if (!entry.claimed) return Promise.resolve();
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = (): void => {
        signal.removeEventListener('abort', done);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      this.waiters.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async makeRoom(keep: string): Promise<void> {
    for (const entry of [...this.entries.values()]) {
      if (this.totalBytes <= this.options.maxBytes) return;
      if (entry.claimed || entry.stem === keep) continue;
      this.entries.delete(entry.stem);
      this.totalBytes -= entry.bytes;
      this.droppedCount += 1;
      await this.unlink(entry.stem);
      this.options.onDrop?.(entry.record);
    }
  }

  private async unlink(stem: string): Promise<void> {
    await rm(join(this.dir, `${stem}.json`), { force: true });
    await rm(join(this.dir, `${stem}.jpeg`), { force: true });
    await fsyncDir(this.dir);
  }

  private async reject(stem: string, reason: string): Promise<void> {
    const dir = join(this.dir, REJECTED_DIR);
    await mkdir(dir, { recursive: true });
    for (const ext of ['jpeg', 'json'])
      await rename(join(this.dir, `${stem}.${ext}`), join(dir, `${stem}.${ext}`)).catch(() => undefined);
    await fsyncDir(this.dir);
    this.options.onRejected?.(stem, reason);
  }

  private async recover(): Promise<void> {
    const names = await readdir(this.dir);
    const jsons = new Set(names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)));
    const found: Entry[] = [];
    for (const name of names) {
      const path = join(this.dir, name);
      if (isTempFile(name)) {
        await rm(path, { force: true });
      } else if (name.endsWith('.jpeg') && !jsons.has(name.slice(0, -5))) {
        await rm(path, { force: true }); // half a sample: its JSON was never committed
      }
    }
    for (const stem of jsons) {
      const jsonPath = join(this.dir, `${stem}.json`);
      const imageStat = await stat(join(this.dir, `${stem}.jpeg`)).catch(() => null);
      if (!imageStat) {
        await this.unlink(stem);
        continue;
      }
      const problem = await readRecord(jsonPath);
      if (typeof problem === 'string') {
        // One bad record must not stop the agent from starting (a crash loop): set it aside.
        await this.reject(stem, problem);
        continue;
      }
      const record = problem;
      const jsonStat = await stat(jsonPath);
      found.push({ stem, record, bytes: imageStat.size + jsonStat.size, claimed: false });
    }
    found.sort((a, b) => a.record.createdAt.localeCompare(b.record.createdAt));
    for (const entry of found) {
      this.entries.set(entry.stem, entry);
      this.totalBytes += entry.bytes;
    }
  }
}

/** The record at `path`, or why it cannot be used. */
async function readRecord(path: string): Promise<SampleRecord | string> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  return sampleRecordProblem(value) ?? (value as SampleRecord);
}

/** File stem of a sample: job-qualified so that two jobs keeping the same image do not collide. */
function sampleStem(job: JobKey, id: string): string {
  // Checked names never hold `_` or `/`: the stem is unambiguous and a plain file name.
  assertJobKey(job);
  return `${job.namespace}_${job.name}_${assertName('sample id', id)}`;
}
