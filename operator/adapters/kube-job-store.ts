import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { SingleTaskLearningJob, SingleTaskLearningJobStatus } from '../../lib/api/v1alpha1/index.js';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from '../../lib/api/v1alpha1/index.js';
import { mergeDiff } from '../merge-diff.js';
import type { CallOptions } from '../ports/call-options.js';
import type { JobEvent, JobRef, JobStore } from '../ports/job-store.js';
import { refOf } from '../ports/job-store.js';
import { isConflict, isNotFound } from './kube-errors.js';
import { withSignal } from './kube-signal.js';
import { SupervisedInformer } from './supervised-informer.js';

export interface KubeJobStoreOptions {
  kubeConfig: KubeConfig;
  log: Logger;
  /** Watch one namespace; all namespaces when absent. */
  namespace?: string;
  staleAfterMs?: number;
  /** Name reported as the Event source. */
  component?: string;
}

type JobObject = SingleTaskLearningJob & KubernetesObject;

/** What makes a change worth a reconcile: the spec (generation), deletion and finalizers. */
export function signature(job: SingleTaskLearningJob): string {
  const m = job.metadata ?? {};
  return `${m.uid ?? ''}|${m.generation ?? 0}|${m.deletionTimestamp ?? ''}|${(m.finalizers ?? []).join(',')}`;
}
const MAX_CONFLICT_RETRIES = 5;

/**
 * JobStore on the Kubernetes API through @kubernetes/client-node 1.4: a supervised informer for the
 * cache, merge patches of `/status` guarded by resourceVersion (retried on conflict against a
 * fresh read), finalizers by JSON patch with a `test` on resourceVersion, core/v1 Events.
 */
export class KubeJobStore implements JobStore {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private informer: SupervisedInformer<JobObject> | null = null;
  private readonly nodeLabels = new Map<string, { at: number; labels: Record<string, string> | null }>();
  private readonly seen = new Map<string, string>();

  constructor(private readonly opts: KubeJobStoreOptions) {
    this.custom = opts.kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = opts.kubeConfig.makeApiClient(CoreV1Api);
  }

  /** The informer (exposed for fault tests: restarts and relists). */
  get supervisor(): SupervisedInformer<JobObject> | null {
    return this.informer;
  }

  async watchKeys(onKey: (ref: JobRef) => void): Promise<void> {
    const ns = this.opts.namespace;
    const path = ns
      ? `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}`
      : `/apis/${GROUP}/${VERSION}/${PLURAL}`;
    const list = async (): Promise<KubernetesListObject<JobObject>> =>
      (ns
        ? await this.custom.listNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            namespace: ns,
            plural: PLURAL,
          })
        : await this.custom.listClusterCustomObject({
            group: GROUP,
            version: VERSION,
            plural: PLURAL,
          })) as KubernetesListObject<JobObject>;
    this.informer = new SupervisedInformer<JobObject>({
      kubeConfig: this.opts.kubeConfig,
      path,
      list,
      log: this.opts.log,
      staleAfterMs: this.opts.staleAfterMs,
      onChange: (obj, verb) => {
        // GenerationChangedPredicate: status-only updates (our own patches) do not wake the reconciler.
        const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
        const sig = signature(obj);
        if (verb === 'update' && this.seen.get(key) === sig) return;
        if (verb === 'delete') this.seen.delete(key);
        else this.seen.set(key, sig);
        onKey(refOf(obj));
      },
    });
    await this.informer.start();
  }

  async stop(): Promise<void> {
    await this.informer?.stop();
  }

  synced(): boolean {
    return this.informer?.synced() ?? false;
  }

  relisting(): boolean {
    return this.informer?.relisting() ?? false;
  }

  async get(ref: JobRef): Promise<SingleTaskLearningJob | null> {
    return this.informer?.get(ref.name, ref.namespace) ?? null;
  }

  list(): readonly SingleTaskLearningJob[] {
    return this.informer?.list() ?? [];
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
    let current = job;
    for (let attempt = 0; ; attempt++) {
      const diff = mergeDiff(current.status ?? {}, status);
      if (diff === undefined) return current;
      try {
        return (await this.custom.patchNamespacedCustomObjectStatus(
          {
            group: GROUP,
            version: VERSION,
            namespace: ref.namespace,
            plural: PLURAL,
            name: ref.name,
            body: { metadata: { resourceVersion: current.metadata?.resourceVersion }, status: diff },
          },
          withSignal(options.signal, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
        )) as SingleTaskLearningJob;
      } catch (err) {
        if (!isConflict(err) || attempt >= MAX_CONFLICT_RETRIES) throw err;
        this.opts.log.info(
          { job: `${ref.namespace}/${ref.name}`, attempt },
          'Status patch conflict; retrying on a fresh read',
        );
        const fresh = await this.fetch(ref, options.signal);
        if (!fresh) throw err;
        // The status is the operator's alone; a conflict means our base copy is old, not that our result is wrong.
        current = fresh;
      }
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
      const before = current.metadata?.finalizers ?? [];
      const after = change([...before]);
      if (!after) return current;
      const ops = [
        { op: 'test', path: '/metadata/resourceVersion', value: current.metadata?.resourceVersion },
        before.length === 0 && current.metadata?.finalizers === undefined
          ? { op: 'add', path: '/metadata/finalizers', value: after }
          : { op: 'replace', path: '/metadata/finalizers', value: after },
      ];
      try {
        return (await this.custom.patchNamespacedCustomObject(
          {
            group: GROUP,
            version: VERSION,
            namespace: ref.namespace,
            plural: PLURAL,
            name: ref.name,
            body: ops,
          },
          withSignal(signal, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch)),
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

  async emitEvent(job: SingleTaskLearningJob, event: JobEvent, options: CallOptions = {}): Promise<void> {
    const ref = refOf(job);
    const now = new Date();
    try {
      await this.core.createNamespacedEvent(
        {
          namespace: ref.namespace,
          body: {
            metadata: {
              name: `${ref.name}.${now.getTime().toString(16)}${Math.floor(Math.random() * 0xfff).toString(16)}`,
              namespace: ref.namespace,
            },
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
    } catch (err) {
      this.opts.log.warn(
        { job: `${ref.namespace}/${ref.name}`, reason: event.reason, err: (err as Error).message },
        'Cannot record event',
      );
    }
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

  async getSecret(
    namespace: string,
    name: string,
    options: CallOptions = {},
  ): Promise<Record<string, string> | null> {
    try {
      const secret = await this.core.readNamespacedSecret({ namespace, name }, withSignal(options.signal));
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(secret.data ?? {}))
        out[k] = Buffer.from(v, 'base64').toString('utf8');
      for (const [k, v] of Object.entries(secret.stringData ?? {})) out[k] = v;
      return out;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }
}
