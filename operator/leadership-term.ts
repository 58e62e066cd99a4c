import type { CallOptions } from './ports/call-options.js';
import type { JobStore } from './ports/job-store.js';
import type { TrainingQueue } from './ports/training-queue.js';

/** The caller's options with the term's signal added; throws at once when the term has ended. */
function inTerm(term: AbortSignal, options?: CallOptions): CallOptions {
  term.throwIfAborted();
  return { ...options, signal: options?.signal ? AbortSignal.any([options.signal, term]) : term };
}

/**
 * The job store as one term of leadership uses it: every call carries the term's signal, and no
 * call starts once the term has ended, so a reconcile in flight stops at its next store call and
 * its requests in flight are cancelled.
 */
export function jobStoreInTerm(jobs: JobStore, term: AbortSignal): JobStore {
  return {
    watchKeys: (onKey) => jobs.watchKeys(onKey),
    stop: () => jobs.stop(),
    synced: () => jobs.synced(),
    relisting: () => jobs.relisting(),
    list: () => jobs.list(),
    get: async (ref) => {
      term.throwIfAborted();
      return jobs.get(ref);
    },
    patchStatus: async (job, status, options) => jobs.patchStatus(job, status, inTerm(term, options)),
    addFinalizer: async (job, finalizer, options) => jobs.addFinalizer(job, finalizer, inTerm(term, options)),
    removeFinalizer: async (job, finalizer, options) =>
      jobs.removeFinalizer(job, finalizer, inTerm(term, options)),
    emitEvent: async (job, event, options) => jobs.emitEvent(job, event, inTerm(term, options)),
    getNodeLabels: async (node, options) => jobs.getNodeLabels(node, inTerm(term, options)),
    getSecret: async (namespace, name, options) => jobs.getSecret(namespace, name, inTerm(term, options)),
  };
}

/** The training queue as one term of leadership uses it (as {@link jobStoreInTerm}). */
export function trainingQueueInTerm(queue: TrainingQueue, term: AbortSignal): TrainingQueue {
  return {
    enqueue: async (jobId, data, options) => queue.enqueue(jobId, data, inTerm(term, options)),
    getState: async (jobId, options) => queue.getState(jobId, inTerm(term, options)),
    getProgress: async (jobId, options) => queue.getProgress(jobId, inTerm(term, options)),
    retry: async (jobId, options) => queue.retry(jobId, inTerm(term, options)),
    cancel: async (jobId, reason, options) => queue.cancel(jobId, reason, inTerm(term, options)),
    remove: async (jobId, options) => queue.remove(jobId, inTerm(term, options)),
    onSettled: (cb) => queue.onSettled(cb),
    close: () => queue.close(),
  };
}
