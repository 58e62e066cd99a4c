import type { SingleTaskLearningJob } from '../../lib/api/v1alpha1/index.js';
import type { DesiredJob, DesiredModel, SamplingSettings } from '../../lib/protocol/heartbeat.js';
import { parseS3Uri } from '../../lib/storage/s3-uri.js';
import { specOf } from '../defaulted.js';
import type { JobStorage } from '../job-storage.js';
import { jobKey, refOf } from '../ports/job-store.js';
import { desiredVersionFor } from '../state-machine/rollout.js';
import { matchesSelector } from './edge-registry.js';

const NO_SAMPLING: SamplingSettings = { strategy: 'none', thresholdImg: 0, thresholdBox: 0, maxPerMinute: 0 };

function cacheKey(job: SingleTaskLearningJob, version: string): string {
  const ref = refOf(job);
  return `${ref.namespace}/${ref.name}/${job.metadata?.uid ?? ''}/${version}`;
}

/** Presigned model URLs, cached for half their lifetime (presigning is cheap but not free at 1,000 jobs). */
export class ModelUrls implements ModelResolver {
  private readonly cache = new Map<string, ResolvedModel & { model: DesiredModel }>();

  constructor(
    private readonly storage: JobStorage,
    private readonly expirySeconds: number,
  ) {}

  async resolve(job: SingleTaskLearningJob, version: string): Promise<ResolvedModel> {
    const key = cacheKey(job, version);
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit;
    const status = job.status;
    const record =
      status?.currentModel?.version === version
        ? status.currentModel
        : status?.models?.find((m) => m.version === version);
    if (!record?.uri || !record.sha256) return { model: null, until: 0 };
    const loc = parseS3Uri(record.uri);
    const store = await this.storage.forJob(job);
    const url = await store.presignedGetUrl(loc.bucket, loc.key, this.expirySeconds);
    const resolved = {
      model: { version, url, sha256: record.sha256 },
      until: Date.now() + (this.expirySeconds * 1000) / 2,
    };
    this.cache.set(key, resolved);
    return resolved;
  }
}

/** A version's model (null when the version has no published record) and until when it may be handed out. */
export interface ResolvedModel {
  model: DesiredModel | null;
  until: number;
}

/** Where model URLs come from: {@link ModelUrls}, or a fake in tests. */
export interface ModelResolver {
  resolve(job: SingleTaskLearningJob, version: string): Promise<ResolvedModel>;
}

/** One cached job as the agents see it. Entries live per key and follow the job object's replacements. */
export interface DesiredEntry {
  readonly key: string;
  job: SingleTaskLearningJob;
  /** Signature of the selector group the job is in; null when it selects no node (being deleted, or spec too broken to default). */
  group: string | null;
  /** The reply without its model, from the spec. */
  base: Omit<DesiredJob, 'model'>;
  /** Replies by desired version ('' for none), shared by every node that gets the same one, and until when. */
  replies: Map<string, { reply: DesiredJob; until: number }>;
}

interface SelectorGroup {
  selector: Record<string, string>;
  entries: Set<DesiredEntry>;
}

interface NodeSelection {
  labels: Record<string, string>;
  labelsSignature: string;
  /** {@link DesiredState} selection version this was computed at. */
  version: number;
  entries: DesiredEntry[];
}

/** Canonical text of a label map or selector (key order does not matter). */
function signatureOf(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * What each agent should run, kept up to date from the job cache so a heartbeat does no reconcile
 * work: jobs are grouped by `edge.nodeSelector`, each node's selection is computed once per label
 * set and selection change (a job added, removed, deleted or re-selected), and replies are built
 * once per job and version, then shared. The job cache replaces an object on every change (never
 * mutates it, as {@link specOf} relies on too), so finding what changed is an identity check.
 */
export class DesiredState {
  /** The entry of each cached job object, by identity. */
  private objects = new Map<SingleTaskLearningJob, DesiredEntry>();
  private readonly entries = new Map<string, DesiredEntry>();
  private readonly groups = new Map<string, SelectorGroup>();
  /** Per node that passed authentication and has a Node object, so bounded by the cluster's nodes. */
  private readonly nodes = new Map<string, NodeSelection>();
  /** Bumped whenever a job enters or leaves a selector group. */
  private version = 0;
  private syncedAt = -Infinity;

  /**
   * `syncEveryMs`: how often the job cache is looked at; at 500 heartbeats a second, listing it for
   * each one would cost more than the rest of the heartbeat, and the cache lags the API server anyway.
   */
  constructor(
    private readonly jobs: () => readonly SingleTaskLearningJob[],
    private readonly urls: ModelResolver,
    private readonly syncEveryMs = 100,
  ) {}

  /** The jobs that select a node with these labels (its Node object's), by key. */
  jobsFor(node: string, labels: Record<string, string>): readonly DesiredEntry[] {
    this.sync();
    let selection = this.nodes.get(node);
    if (selection && selection.labels !== labels) {
      const labelsSignature = signatureOf(labels);
      if (labelsSignature !== selection.labelsSignature) selection = undefined;
      else selection.labels = labels;
    }
    if (!selection || selection.version !== this.version) {
      const entries: DesiredEntry[] = [];
      for (const g of this.groups.values())
        if (matchesSelector(labels, g.selector)) entries.push(...g.entries);
      entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      selection = { labels, labelsSignature: signatureOf(labels), version: this.version, entries };
      this.nodes.set(node, selection);
    }
    return selection.entries;
  }

  /** What one agent should do for one job it is selected by; throws when the model URL cannot be made. */
  desiredJob(entry: DesiredEntry, node: string, nowMs = Date.now()): DesiredJob | Promise<DesiredJob> {
    const version = desiredVersionFor(entry.job.status, node) ?? '';
    const hit = entry.replies.get(version);
    return hit && hit.until > nowMs ? hit.reply : this.build(entry, version);
  }

  private async build(entry: DesiredEntry, version: string): Promise<DesiredJob> {
    const { model, until } = version
      ? await this.urls.resolve(entry.job, version)
      : { model: null, until: Infinity };
    const reply = { ...entry.base, model };
    entry.replies.set(version, { reply, until });
    return reply;
  }

  /** Brings the entries in line with the job cache (an identity check when nothing changed), at most every `syncEveryMs`. */
  private sync(): void {
    const now = Date.now();
    if (now - this.syncedAt < this.syncEveryMs) return;
    this.syncedAt = now;
    const list = this.jobs();
    if (list.length === this.objects.size && list.every((job) => this.objects.has(job))) return;
    const objects = new Map<SingleTaskLearningJob, DesiredEntry>();
    for (const job of list) objects.set(job, this.objects.get(job) ?? this.update(job));
    const present = new Set<DesiredEntry>(objects.values());
    for (const entry of this.entries.values())
      if (!present.has(entry)) {
        this.entries.delete(entry.key);
        this.regroup(entry, null);
      }
    this.objects = objects;
  }

  /** The entry of a new or changed job object. */
  private update(job: SingleTaskLearningJob): DesiredEntry {
    const ref = refOf(job);
    const key = jobKey(ref);
    let selector: Record<string, string> | null = null;
    let base: DesiredEntry['base'] = dropJob(ref);
    try {
      const spec = specOf(job);
      if (!job.metadata?.deletionTimestamp) selector = spec.edge.nodeSelector;
      const s = spec.edge.sampling;
      base = {
        job: ref,
        sampling: {
          strategy: s.strategy,
          thresholdImg: s.thresholdImg,
          thresholdBox: s.thresholdBox,
          maxPerMinute: s.maxPerMinute,
          randomRate: s.randomRate,
        },
        storage: { bucket: spec.storage.bucket },
        drop: false,
      };
    } catch {
      // a spec too broken to default selects nothing (the reconciler reports it as InvalidSpec)
    }
    let entry = this.entries.get(key);
    if (entry && entry.job.metadata?.uid !== job.metadata?.uid) {
      this.regroup(entry, null); // deleted and created again under the same name
      entry = undefined;
    }
    if (!entry) {
      entry = { key, job, group: null, base, replies: new Map() };
      this.entries.set(key, entry);
    }
    entry.job = job;
    entry.base = base;
    entry.replies.clear();
    this.regroup(entry, selector);
    return entry;
  }

  /** Moves an entry to the group of `selector` (none when null). */
  private regroup(entry: DesiredEntry, selector: Record<string, string> | null): void {
    const group = selector ? signatureOf(selector) : null;
    if (group === entry.group) return;
    if (entry.group !== null) {
      const old = this.groups.get(entry.group)!;
      old.entries.delete(entry);
      if (old.entries.size === 0) this.groups.delete(entry.group);
    }
    if (group !== null && selector) {
      let g = this.groups.get(group);
      if (!g) this.groups.set(group, (g = { selector: { ...selector }, entries: new Set() }));
      g.entries.add(entry);
    }
    entry.group = group;
    this.version++;
  }
}

/** Tells an agent to stop serving a job (deleted, or no longer selecting the node). */
export function dropJob(ref: { namespace: string; name: string }, bucket = ''): DesiredJob {
  return { job: ref, model: null, sampling: NO_SAMPLING, storage: { bucket }, drop: true };
}

const replyJson = new WeakMap<DesiredJob, string>();

/**
 * The heartbeat reply as JSON text. Replies are shared by the nodes of a job and version (see
 * {@link DesiredState}), so each is serialized once rather than once per heartbeat.
 */
export function heartbeatReplyJson(jobs: readonly DesiredJob[], heartbeatIntervalSeconds: number): string {
  const parts = jobs.map((job) => {
    let json = replyJson.get(job);
    if (json === undefined) replyJson.set(job, (json = JSON.stringify(job)));
    return json;
  });
  return `{"jobs":[${parts.join(',')}],"heartbeatIntervalSeconds":${JSON.stringify(heartbeatIntervalSeconds)}}`;
}
