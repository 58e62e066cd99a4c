import type { SingleTaskLearningJob, SingleTaskLearningJobStatus } from '../../lib/api/v1alpha1/index.js';
import type { CallOptions } from './call-options.js';

/** Namespace and name of a job; the work-queue key is `<ns>/<name>`. */
export interface JobRef {
  namespace: string;
  name: string;
}

/** A Kubernetes Event about a job (Normal on progress, Warning on trouble). */
export interface JobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/**
 * The job-store port: where SingleTaskLearningJobs live. The reconciler sees only this, so the same
 * code runs on the Kubernetes API (KubeJobStore) and on YAML files (LocalJobStore).
 */
export interface JobStore {
  /** Starts watching; `onKey` is called for every job added, changed or deleted (and on relists). */
  watchKeys(onKey: (ref: JobRef) => void): Promise<void>;
  /** Stops watching. */
  stop(): Promise<void>;
  /** True once the first list has been loaded (readiness); a relist keeps serving the last one. */
  synced(): boolean;
  /** True while a relist waits for its list: the cache may still hold jobs deleted meanwhile, or miss new ones. */
  relisting(): boolean;
  /** The cached job, or null when it does not exist. */
  get(ref: JobRef): Promise<SingleTaskLearningJob | null>;
  /** Every cached job. */
  list(): readonly SingleTaskLearningJob[];
  /**
   * Merge-patches `/status` (status and observedGeneration computed by the caller) and returns the
   * stored object; never touches spec. Guarded by the job's resourceVersion: when the stored job has
   * changed it throws {@link JobConflictError} (the caller recomputes from the fresh job, which the
   * next `get` returns), and when the API server finds the status invalid {@link StatusRejectedError}.
   */
  patchStatus(
    job: SingleTaskLearningJob,
    status: SingleTaskLearningJobStatus,
    options?: CallOptions,
  ): Promise<SingleTaskLearningJob>;
  /** Adds a finalizer, guarded by the job's resourceVersion; returns the updated job. */
  addFinalizer(
    job: SingleTaskLearningJob,
    finalizer: string,
    options?: CallOptions,
  ): Promise<SingleTaskLearningJob>;
  /** Removes a finalizer, guarded by the job's resourceVersion; the job may be gone afterwards. */
  removeFinalizer(job: SingleTaskLearningJob, finalizer: string, options?: CallOptions): Promise<void>;
  /** Records an Event about the job (best effort: a failure is logged, never thrown). */
  emitEvent(job: SingleTaskLearningJob, event: JobEvent, options?: CallOptions): Promise<void>;
  /** Labels of a cluster node (for offline agents), or null when unknown. */
  getNodeLabels(node: string, options?: CallOptions): Promise<Record<string, string> | null>;
  /** Decoded data of a Secret, or null when it does not exist. */
  getSecret(namespace: string, name: string, options?: CallOptions): Promise<Record<string, string> | null>;
}

/** A write lost an optimistic-concurrency race: the stored job changed after it was read. */
export class JobConflictError extends Error {
  constructor(ref: JobRef) {
    super(`${ref.namespace}/${ref.name} changed since it was read`);
    this.name = 'JobConflictError';
  }
}

/** The API server rejected a status as invalid (422): a schema mismatch, not a race; retrying cannot help. */
export class StatusRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StatusRejectedError';
  }
}

export { jobKey, parseJobKey } from '../../lib/protocol/job-key.js';

/** The ref of a stored job. */
export function refOf(job: SingleTaskLearningJob): JobRef {
  return { namespace: job.metadata?.namespace ?? 'default', name: job.metadata?.name ?? '' };
}
