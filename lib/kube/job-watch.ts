import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { SingleTaskLearningJob } from '../api/v1alpha1/index.js';
import { GROUP, PLURAL, VERSION } from '../api/v1alpha1/index.js';
import { loadKubeConfig } from './kube-config.js';
import { isNotFound } from './kube-errors.js';
import { withSignal } from './kube-signal.js';
import { SupervisedInformer } from './supervised-informer.js';

export type JobObject = SingleTaskLearningJob & KubernetesObject;

export interface JobWatchOptions {
  kubeConfig: KubeConfig;
  log: Logger;
  /** Watch one namespace; all namespaces when absent. */
  namespace?: string;
  staleAfterMs?: number;
}

/**
 * A watch cache of the SingleTaskLearningJobs (a supervised informer) plus reads of their Secrets:
 * everything a component that only reads jobs needs. The operator's KubeJobStore adds its writes
 * (status, finalizers, Events) on top of one.
 */
export class JobWatch {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private informer: SupervisedInformer<JobObject> | null = null;

  constructor(private readonly opts: JobWatchOptions) {
    this.custom = opts.kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = opts.kubeConfig.makeApiClient(CoreV1Api);
  }

  /** The informer (exposed for fault tests: restarts and relists). */
  get supervisor(): SupervisedInformer<JobObject> | null {
    return this.informer;
  }

  /** Lists the jobs and follows their changes; `onChange` sees every add, update and delete. */
  async start(
    onChange: (job: JobObject, verb: 'add' | 'update' | 'delete') => void = () => undefined,
  ): Promise<void> {
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
      onChange,
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

  /** The cached job (null when not seen, or before the first list). */
  async get(ref: { namespace: string; name: string }): Promise<SingleTaskLearningJob | null> {
    return this.informer?.get(ref.name, ref.namespace) ?? null;
  }

  list(): readonly SingleTaskLearningJob[] {
    return this.informer?.list() ?? [];
  }

  /** A Secret's decoded data, or null when it does not exist. */
  async getSecret(
    namespace: string,
    name: string,
    options: { signal?: AbortSignal } = {},
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

/**
 * A started watch cache of the jobs for components that only read them (labeling, trainer): list,
 * get and their Secrets; nothing is reconciled or written.
 */
export async function watchJobsReadOnly(opts: {
  kubeconfig?: string;
  namespace?: string;
  log: Logger;
}): Promise<JobWatch> {
  const jobs = new JobWatch({
    kubeConfig: loadKubeConfig(opts.kubeconfig),
    log: opts.log,
    namespace: opts.namespace,
  });
  await jobs.start();
  return jobs;
}
