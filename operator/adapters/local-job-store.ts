import { createHash, randomUUID } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import type { Logger } from 'pino';
import type { SingleTaskLearningJob, SingleTaskLearningJobStatus } from '../../lib/api/v1alpha1/index.js';
import { toJson } from '../merge-diff.js';
import type { JobEvent, JobRef, JobStore } from '../ports/job-store.js';
import { jobKey, parseJobKey, refOf } from '../ports/job-store.js';
import { writeFileAtomic } from '../../lib/fs/atomic-write.js';

export interface LocalJobStoreOptions {
  /** Directory of job YAML files (one job per file); status files are written beside them. */
  dir: string;
  log: Logger;
  /** Secrets by `<namespace>/<name>` (local mode has no API server). */
  secrets?: Record<string, Record<string, string>>;
  /** Data returned for any Secret not in `secrets` (local mode: one set of S3 credentials for all jobs). */
  defaultSecret?: Record<string, string>;
  /** Node labels by node name. */
  nodes?: Record<string, Record<string, string>>;
  pollMs?: number;
}

/** What the store keeps beside each job file: server-side metadata, the last spec and the status. */
interface Sidecar {
  uid: string;
  creationTimestamp: string;
  generation: number;
  specHash: string;
  resourceVersion: string;
  finalizers: string[];
  deletionTimestamp?: string;
  /** The last spec seen, so a job whose file was removed can still be finalized. */
  spec: SingleTaskLearningJob['spec'];
  apiVersion?: string;
  kind?: string;
  labels?: Record<string, string>;
  status?: SingleTaskLearningJobStatus;
}

const STATUS_SUFFIX = '.status.json';

function hash(v: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(v ?? null))
    .digest('hex')
    .slice(0, 16);
}

/**
 * JobStore on a directory of YAML files, for the embedded mode (`edge-stl up`). Each `<x>.yaml`
 * holds one job; `<x>.status.json` beside it keeps uid, generation (bumped when the spec changes),
 * finalizers, deletionTimestamp and status. Removing the YAML file deletes the job: with a
 * finalizer it lingers (deletionTimestamp set) until the finalizer is removed. Changes are seen
 * through fs.watch plus a poll.
 */
export class LocalJobStore implements JobStore {
  private readonly jobs = new Map<string, { job: SingleTaskLearningJob; base: string }>();
  private readonly sidecars = new Map<string, Sidecar>();
  private rv = 1;
  private watcher: FSWatcher | null = null;
  private poll: NodeJS.Timeout | null = null;
  private onKey: ((ref: JobRef) => void) | null = null;
  private scanning: Promise<void> | null = null;
  private rescan = false;
  private loaded = false;
  private readonly statusListeners = new Set<(job: SingleTaskLearningJob) => void>();
  /** Events recorded (local mode has no Event API); newest last, bounded. */
  readonly events: Array<JobEvent & { job: string; time: string }> = [];

  constructor(private readonly opts: LocalJobStoreOptions) {}

  async watchKeys(onKey: (ref: JobRef) => void): Promise<void> {
    this.onKey = onKey;
    await mkdir(this.opts.dir, { recursive: true });
    await this.scan();
    this.loaded = true;
    try {
      this.watcher = watch(this.opts.dir, () => void this.scan());
      this.watcher.on('error', () => undefined);
    } catch {
      // fs.watch is unavailable on some filesystems; the poll still sees changes.
    }
    this.poll = setInterval(() => void this.scan(), this.opts.pollMs ?? 1000);
    this.poll.unref?.();
  }

  async stop(): Promise<void> {
    this.watcher?.close();
    if (this.poll) clearInterval(this.poll);
    await this.scanning;
  }

  synced(): boolean {
    return this.loaded;
  }

  /** Scans update the cache job by job; none empties it first. */
  relisting(): boolean {
    return false;
  }

  async get(ref: JobRef): Promise<SingleTaskLearningJob | null> {
    return this.jobs.get(jobKey(ref))?.job ?? null;
  }

  list(): readonly SingleTaskLearningJob[] {
    return [...this.jobs.values()].map((e) => e.job);
  }

  /** Reads the directory now (tests call it instead of waiting for the watcher). */
  scan(): Promise<void> {
    if (this.scanning) {
      this.rescan = true;
      return this.scanning;
    }
    this.scanning = this.doScan().finally(() => {
      this.scanning = null;
      if (this.rescan) {
        this.rescan = false;
        void this.scan();
      }
    });
    return this.scanning;
  }

  private async doScan(): Promise<void> {
    const names = await readdir(this.opts.dir).catch(() => [] as string[]);
    const seen = new Set<string>();
    for (const file of names.filter((n) => ['.yaml', '.yml'].includes(extname(n)))) {
      const base = basename(file, extname(file));
      let doc: SingleTaskLearningJob;
      try {
        doc = loadYaml(await readFile(join(this.opts.dir, file), 'utf8')) as SingleTaskLearningJob;
      } catch (err) {
        this.opts.log.warn({ file, err: (err as Error).message }, 'Cannot read job file');
        continue;
      }
      if (!doc?.metadata?.name) continue;
      const ref = { namespace: doc.metadata.namespace ?? 'default', name: doc.metadata.name };
      const key = jobKey(ref);
      seen.add(key);
      const side = this.sidecars.get(key) ?? (await this.readSidecar(base));
      const specHash = hash(doc.spec);
      let next: Sidecar;
      if (!side) {
        next = {
          uid: randomUUID(),
          creationTimestamp: new Date().toISOString(),
          generation: 1,
          specHash,
          resourceVersion: String(++this.rv),
          finalizers: [],
          spec: doc.spec,
          apiVersion: doc.apiVersion,
          kind: doc.kind,
          labels: doc.metadata.labels,
        };
      } else if (side.specHash !== specHash || side.deletionTimestamp) {
        next = {
          ...side,
          generation: side.specHash !== specHash ? side.generation + 1 : side.generation,
          specHash,
          spec: doc.spec,
          resourceVersion: String(++this.rv),
        };
        if (side.deletionTimestamp && side.specHash === specHash) next = side; // a file put back does not undo a deletion
      } else next = side;
      await this.commit(key, base, next);
    }
    for (const [key, entry] of [...this.jobs]) {
      if (seen.has(key)) continue;
      const side = this.sidecars.get(key)!;
      if (side.finalizers.length === 0) {
        await this.forget(key, entry.base);
        continue;
      }
      if (!side.deletionTimestamp)
        await this.commit(key, entry.base, {
          ...side,
          deletionTimestamp: new Date().toISOString(),
          resourceVersion: String(++this.rv),
        });
    }
  }

  private async readSidecar(base: string): Promise<Sidecar | undefined> {
    try {
      const side = JSON.parse(await readFile(join(this.opts.dir, base + STATUS_SUFFIX), 'utf8')) as Sidecar;
      this.rv = Math.max(this.rv, Number(side.resourceVersion) || 0);
      return side;
    } catch {
      return undefined;
    }
  }

  private toJob(key: string, side: Sidecar): SingleTaskLearningJob {
    const { namespace, name } = parseJobKey(key);
    return {
      apiVersion: side.apiVersion,
      kind: side.kind,
      metadata: {
        name,
        namespace,
        uid: side.uid,
        creationTimestamp: side.creationTimestamp,
        generation: side.generation,
        resourceVersion: side.resourceVersion,
        ...(side.labels ? { labels: side.labels } : {}),
        ...(side.finalizers.length ? { finalizers: side.finalizers } : {}),
        ...(side.deletionTimestamp ? { deletionTimestamp: side.deletionTimestamp } : {}),
      },
      spec: side.spec,
      ...(side.status ? { status: side.status } : {}),
    };
  }

  private async commit(key: string, base: string, side: Sidecar): Promise<void> {
    const before = this.sidecars.get(key);
    if (before === side && this.jobs.has(key)) return;
    this.sidecars.set(key, side);
    this.jobs.set(key, { job: this.toJob(key, side), base });
    if (before?.resourceVersion !== side.resourceVersion || !before) {
      const path = join(this.opts.dir, base + STATUS_SUFFIX);
      await writeFileAtomic(path, JSON.stringify(side, null, 2));
      // As with the Kubernetes store: status-only writes (ours) do not wake the reconciler.
      const worth = (s: Sidecar | undefined): string =>
        s ? `${s.generation}|${s.deletionTimestamp ?? ''}|${s.finalizers.join(',')}` : '';
      if (worth(before) !== worth(side)) {
        this.onKey?.(parseJobKey(key));
      }
    }
  }

  private async forget(key: string, base: string): Promise<void> {
    this.jobs.delete(key);
    this.sidecars.delete(key);
    await rm(join(this.opts.dir, base + STATUS_SUFFIX), { force: true });
    this.onKey?.(parseJobKey(key));
  }

  private entry(job: SingleTaskLearningJob): { key: string; base: string; side: Sidecar } | null {
    const key = jobKey(refOf(job));
    const e = this.jobs.get(key);
    const side = this.sidecars.get(key);
    return e && side ? { key, base: e.base, side } : null;
  }

  async patchStatus(
    job: SingleTaskLearningJob,
    status: SingleTaskLearningJobStatus,
  ): Promise<SingleTaskLearningJob> {
    const e = this.entry(job);
    if (!e) return job;
    // The status is the operator's alone: the new one replaces the old (what the merge patch amounts to).
    const next = { ...e.side, status: toJson(status), resourceVersion: String(++this.rv) };
    await this.commit(e.key, e.base, next);
    const stored = this.jobs.get(e.key)!.job;
    for (const listener of this.statusListeners) listener(stored);
    return stored;
  }

  /**
   * Calls `listener` with the job after every status write, so a watcher in the same process sees
   * each phase, however briefly the job stays in it (a poll can miss one). Returns the unsubscriber.
   */
  onStatusWritten(listener: (job: SingleTaskLearningJob) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  async addFinalizer(job: SingleTaskLearningJob, finalizer: string): Promise<SingleTaskLearningJob> {
    const e = this.entry(job);
    if (!e || e.side.finalizers.includes(finalizer) || e.side.deletionTimestamp)
      return e ? this.jobs.get(e.key)!.job : job;
    await this.commit(e.key, e.base, {
      ...e.side,
      finalizers: [...e.side.finalizers, finalizer],
      resourceVersion: String(++this.rv),
    });
    return this.jobs.get(e.key)!.job;
  }

  async removeFinalizer(job: SingleTaskLearningJob, finalizer: string): Promise<void> {
    const e = this.entry(job);
    if (!e) return;
    const finalizers = e.side.finalizers.filter((f) => f !== finalizer);
    if (finalizers.length === 0 && e.side.deletionTimestamp) {
      await this.forget(e.key, e.base);
      return;
    }
    await this.commit(e.key, e.base, { ...e.side, finalizers, resourceVersion: String(++this.rv) });
  }

  async emitEvent(job: SingleTaskLearningJob, event: JobEvent): Promise<void> {
    const key = jobKey(refOf(job));
    this.events.push({ ...event, job: key, time: new Date().toISOString() });
    if (this.events.length > 1000) this.events.splice(0, this.events.length - 1000);
    this.opts.log.info({ job: key, type: event.type, reason: event.reason, message: event.message }, 'Event');
  }

  async getNodeLabels(node: string): Promise<Record<string, string> | null> {
    return this.opts.nodes?.[node] ?? null;
  }

  async getSecret(namespace: string, name: string): Promise<Record<string, string> | null> {
    return this.opts.secrets?.[`${namespace}/${name}`] ?? this.opts.defaultSecret ?? null;
  }
}
