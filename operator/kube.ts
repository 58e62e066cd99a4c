import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { KubeJobStore } from './adapters/kube-job-store.js';
import { KubeLeaseElector } from './adapters/kube-lease-elector.js';

export { KubeJobStore, type KubeJobStoreOptions } from './adapters/kube-job-store.js';
export { KubeLeaseElector, type KubeLeaseElectorOptions } from './adapters/kube-lease-elector.js';
export { SupervisedInformer } from './adapters/supervised-informer.js';

/**
 * The Kubernetes adapters (kept out of operator/index.ts so local mode never loads the client).
 * In a pod the in-cluster config is used; elsewhere `KUBECONFIG` or ~/.kube/config.
 */
export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromDefault();
  return kc;
}

export interface KubeAdaptersOptions {
  kubeConfig: KubeConfig;
  log: Logger;
  namespace?: string;
  lease?: {
    namespace: string;
    name: string;
    identity: string;
    leaseDurationSeconds?: number;
    retryPeriodMs?: number;
  };
  staleAfterMs?: number;
}

/** KubeJobStore plus (when `lease` is given) a Lease-based leader elector. */
export function kubeAdapters(opts: KubeAdaptersOptions): { jobs: KubeJobStore; elector?: KubeLeaseElector } {
  const jobs = new KubeJobStore({
    kubeConfig: opts.kubeConfig,
    log: opts.log,
    namespace: opts.namespace,
    staleAfterMs: opts.staleAfterMs,
  });
  const elector = opts.lease
    ? new KubeLeaseElector({ kubeConfig: opts.kubeConfig, log: opts.log, ...opts.lease })
    : undefined;
  return { jobs, ...(elector ? { elector } : {}) };
}

/**
 * A started watch cache of the jobs for components that only read them (labeling, trainer): list,
 * get and their Secrets; nothing is reconciled or written.
 */
export async function watchJobsReadOnly(opts: {
  kubeconfig?: string;
  namespace?: string;
  component: string;
  log: Logger;
}): Promise<KubeJobStore> {
  const jobs = new KubeJobStore({
    kubeConfig: loadKubeConfig(opts.kubeconfig),
    log: opts.log,
    namespace: opts.namespace,
    component: opts.component,
  });
  await jobs.watchKeys(() => undefined);
  return jobs;
}
