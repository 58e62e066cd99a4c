/** The Kubernetes adapters (kept out of operator/index.ts so local mode never loads the client). */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { KubeJobStore } from './adapters/kube-job-store.js';
import { KubeLeaseElector } from './adapters/kube-lease-elector.js';

export { KubeJobStore, type KubeJobStoreOptions } from './adapters/kube-job-store.js';
export { KubeLeaseElector, type KubeLeaseElectorOptions } from './adapters/kube-lease-elector.js';
export { SupervisedInformer } from '../lib/kube/supervised-informer.js';
export { loadKubeConfig } from '../lib/kube/kube-config.js';

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
