import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { SingleTaskLearningJob, SingleTaskLearningJobStatus } from '../../lib/api/v1alpha1/index.js';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from '../../lib/api/v1alpha1/index.js';
import { JobWatch, type JobObject } from '../../lib/kube/job-watch.js';
import { mergeDiff } from '../merge-diff.js';
import type { CallOptions } from '../ports/call-options.js';
import type { JobEvent, JobRef, JobStore } from '../ports/job-store.js';
import { JobConflictError, StatusRejectedError, jobKey, refOf } from '../ports/job-store.js';
import { isConflict, isInvalid, isNotFound, messageOf } from '../../lib/kube/kube-errors.js';
import { withSignal } from '../../lib/kube/kube-signal.js';
import type { SupervisedInformer } from '../../lib/kube/supervised-informer.js';

export interface KubeJobStoreOptions {
  kubeConfig: KubeConfig;
  log: Logger;
  /** Watch one namespace; all namespaces when absent. */
  namespace?: string;
  staleAfterMs?: number;
  /** Name reported as the Event source. */
  component?: string;
}

/** What makes a change worth a reconcile: the spec (generation), deletion and finalizers. */
export function signature(job: SingleTaskLearningJob): string {
  const m = job.metadata ?? {};
  return `${m.uid ?? ''}|${m.generation ?? 0}|${m.deletionTimestamp ?? ''}|${(m.finalizers ?? []).join(',')}`;
}
const MAX_CONFLICT_RETRIES = 5;
/** Events remembered for aggregation (client-go's EventRecorder keeps an LRU of 4096). */
const MAX_AGGREGATED_EVENTS = 4096;

/**
 * JobStore on the Kubernetes API through @kubernetes/client-node 1.4: a supervised informer for the
 * cache, merge patches of `/status` guarded by resourceVersion (a conflict is the caller's to
 * recompute: the next `get` of that job reads the API server, not the cache), finalizers by merge
 * patch guarded the same way (retried on a fresh read: adding or removing one name is recomputed
 * from the fresh list), core/v1 Events aggregated as client-go's EventRecorder does.
 */
export class KubeJobStore implements JobStore {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly watch: JobWatch;
  private readonly nodeLabels = new Map<string, { at: number; labels: Record<string, string> | null }>();
  private readonly seen = new Map<string, string>();
  /** Jobs whose last status patch hit a conflict: the cache may be older than the API server. */
  private readonly readFresh = new Set<string>();
  /** Event name and count by involved object, type, reason and message (see {@link emitEvent}). */
  private readonly recentEvents = new Map<string, { name: string; count: number }>();

  constructor(private readonly opts: KubeJobStoreOptions) {
    this.custom = opts.kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = opts.kubeConfig.makeApiClient(CoreV1Api);
    this.watch = new JobWatch(opts);
  }

  /** The informer (exposed for fault tests: restarts and relists). */
  get supervisor(): SupervisedInformer<JobObject> | null {
    return this.watch.supervisor;
  }

  async watchKeys(onKey: (ref: JobRef) => void): Promise<void> {
    await this.watch.start((obj, verb) => {
      // GenerationChangedPredicate: status-only updates (our own patches) do not wake the reconciler.
      const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
      const sig = signature(obj);
      if (verb === 'update' && this.seen.get(key) === sig) return;
      if (verb === 'delete') this.seen.delete(key);
      else this.seen.set(key, sig);
      onKey(refOf(obj));
    });
  }

  async stop(): Promise<void> {
    await this.watch.stop();
  }

  synced(): boolean {
    return this.watch.synced();
  }

  relisting(): boolean {
    return this.watch.relisting();
  }

  async get(ref: JobRef): Promise<SingleTaskLearningJob | null> {
    const key = jobKey(ref);
    if (this.readFresh.delete(key)) {
      try {
        return await this.fetch(ref);
      } catch (err) {
        this.readFresh.add(key);
        throw err;
      }
    }
    return this.watch.get(ref);
  }

  list(): readonly SingleTaskLearningJob[] {
    return this.watch.list();
  }

  private async fetch(ref: JobRef, signal?: AbortSignal): Promise<SingleTaskLearningJob | null> {
    try {
      return (await this.custom.getNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace: ref.namespace,
          plural: PLURAL,
          name: ref.name,
        },
        withSignal(signal),
      )) as SingleTaskLearningJob;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async patchStatus(
    job: SingleTaskLearningJob,
    status: SingleTaskLearningJobStatus,
    options: CallOptions = {},
  ): Promise<SingleTaskLearningJob> {
    const ref = refOf(job);
    const diff = mergeDiff(job.status ?? {}, status);
    if (diff === undefined) return job;
    try {
      return (await this.custom.patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          namespace: ref.namespace,
          plural: PLURAL,
          name: ref.name,
          body: { metadata: { resourceVersion: job.metadata?.resourceVersion }, status: diff },
        },
        withSignal(options.signal, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
      )) as SingleTaskLearningJob;
    } catch (err) {
      // A status computed from an old copy must not land on the new one: the caller recomputes.
      if (isConflict(err)) {
        this.readFresh.add(jobKey(ref));
        throw new JobConflictError(ref);
      }
      if (isInvalid(err)) throw new StatusRejectedError(messageOf(err));
      throw err;
    }
  }

  private async patchFinalizers(
    job: SingleTaskLearningJob,
    change: (list: string[]) => string[] | null,
    signal?: AbortSignal,
  ): Promise<SingleTaskLearningJob | null> {
    const ref = refOf(job);
    let current: SingleTaskLearningJob | null = job;
    for (let attempt = 0; current; attempt++) {
      const after = change([...(current.metadata?.finalizers ?? [])]);
      if (!after) return current;
      try {
        return (await this.custom.patchNamespacedCustomObject(
          {
            group: GROUP,
            version: VERSION,
            namespace: ref.namespace,
            plural: PLURAL,
            name: ref.name,
            body: { metadata: { resourceVersion: current.metadata?.resourceVersion, finalizers: after } },
          },
          withSignal(signal, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
        )) as SingleTaskLearningJob;
      } catch (err) {
        if (isNotFound(err)) return null;
        if (!isConflict(err) || attempt >= MAX_CONFLICT_RETRIES) throw err;
        current = await this.fetch(ref, signal);
      }
    }
    return null;
  }

  async addFinalizer(
    job: SingleTaskLearningJob,
    finalizer: string,
    options: CallOptions = {},
  ): Promise<SingleTaskLearningJob> {
    const updated = await this.patchFinalizers(
      job,
      (list) => (list.includes(finalizer) ? null : [...list, finalizer]),
      options.signal,
    );
    return updated ?? job;
  }

  async removeFinalizer(
    job: SingleTaskLearningJob,
    finalizer: string,
    options: CallOptions = {},
  ): Promise<void> {
    await this.patchFinalizers(
      job,
      (list) => (list.includes(finalizer) ? list.filter((f) => f !== finalizer) : null),
      options.signal,
    );
  }

  /**
   * Records an Event. As client-go's EventRecorder: the same type, reason and message on the same
   * object within this process bumps `count` and `lastTimestamp` of the Event already recorded
   * instead of creating another one (a new one when that Event has expired).
   */
  async emitEvent(job: SingleTaskLearningJob, event: JobEvent, options: CallOptions = {}): Promise<void> {
    const ref = refOf(job);
    const now = new Date();
    const aggregate = `${job.metadata?.uid ?? jobKey(ref)}|${event.type}|${event.reason}|${event.message}`;
    const seen = this.recentEvents.get(aggregate);
    try {
      if (seen && (await this.bumpEvent(ref.namespace, seen.name, seen.count + 1, now, options))) {
        this.remember(aggregate, { ...seen, count: seen.count + 1 });
        return;
      }
      const name = `${ref.name}.${now.getTime().toString(16)}${Math.floor(Math.random() * 0xfff).toString(16)}`;
      await this.core.createNamespacedEvent(
        {
          namespace: ref.namespace,
          body: {
            metadata: { name, namespace: ref.namespace },
            involvedObject: {
              apiVersion: API_VERSION,
              kind: KIND,
              name: ref.name,
              namespace: ref.namespace,
              uid: job.metadata?.uid,
              resourceVersion: job.metadata?.resourceVersion,
            },
            type: event.type,
            reason: event.reason,
            message: event.message,
            source: { component: this.opts.component ?? 'edge-stl-operator' },
            reportingComponent: this.opts.component ?? 'edge-stl-operator',
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
          },
        },
        withSignal(options.signal),
      );
      this.remember(aggregate, { name, count: 1 });
    } catch (err) {
      this.opts.log.warn(
        { job: `${ref.namespace}/${ref.name}`, reason: event.reason, err: (err as Error).message },
        'Cannot record event',
      );
    }
  }

  /** Bumps the count of a recorded Event; false when it is gone (Events expire). */
  private async bumpEvent(
    namespace: string,
    name: string,
    count: number,
    now: Date,
    options: CallOptions,
  ): Promise<boolean> {
    try {
      await this.core.patchNamespacedEvent(
        { namespace, name, body: { count, lastTimestamp: now } },
        withSignal(options.signal, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
      );
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Keeps an aggregated Event, most recent last, bounded like client-go's LRU. */
  private remember(key: string, value: { name: string; count: number }): void {
    this.recentEvents.delete(key);
    this.recentEvents.set(key, value);
    if (this.recentEvents.size > MAX_AGGREGATED_EVENTS)
      this.recentEvents.delete(this.recentEvents.keys().next().value!);
  }

  async getNodeLabels(node: string, options: CallOptions = {}): Promise<Record<string, string> | null> {
    const hit = this.nodeLabels.get(node);
    if (hit && Date.now() - hit.at < 60_000) return hit.labels;
    let labels: Record<string, string> | null;
    try {
      labels = (await this.core.readNode({ name: node }, withSignal(options.signal))).metadata?.labels ?? {};
    } catch (err) {
      if (!isNotFound(err)) throw err;
      labels = null;
    }
    this.nodeLabels.set(node, { at: Date.now(), labels });
    return labels;
  }

  getSecret(
    namespace: string,
    name: string,
    options: CallOptions = {},
  ): Promise<Record<string, string> | null> {
    return this.watch.getSecret(namespace, name, options);
  }
}
