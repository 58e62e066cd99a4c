import type { Logger } from 'pino';
import type { EdgeRegistry } from './coordination/edge-registry.js';
import { JobStorage } from './job-storage.js';
import { DEFAULT_RECONCILE_CONCURRENCY } from './defaults.js';
import { jobStoreInTerm, trainingQueueInTerm } from './leadership-term.js';
import type { OperatorMetrics } from './metrics.js';
import type { Clock } from './ports/clock.js';
import type { JobStore } from './ports/job-store.js';
import type { ObjectStoreFactory } from './ports/object-stores.js';
import type { TrainingQueue } from './ports/training-queue.js';
import { Reconciler } from './reconciler.js';
import { WorkQueue } from './work-queue.js';

/**
 * The work queue of one term of leadership, feeding the reconciler. Everything it reconciles with
 * is bound to the term's signal: the reconciles in flight when the term ends are cancelled, and
 * none of them writes afterwards.
 */
export function termWorkQueue(
  input: {
    jobs: JobStore;
    queue: TrainingQueue;
    objectStores: ObjectStoreFactory;
    registry: EdgeRegistry;
    clock: Clock;
    log: Logger;
    metrics: OperatorMetrics;
    dropTimeoutMs: number;
    concurrency?: number;
  },
  leadership: AbortSignal,
): WorkQueue {
  const { log, metrics } = input;
  const jobs = jobStoreInTerm(input.jobs, leadership);
  const reconciler = new Reconciler({
    jobs,
    queue: trainingQueueInTerm(input.queue, leadership),
    storage: new JobStorage(jobs, input.objectStores),
    registry: input.registry,
    clock: input.clock,
    log,
    dropTimeoutMs: input.dropTimeoutMs,
  });
  return new WorkQueue((key) => reconciler.reconcile(key), {
    signal: leadership,
    concurrency: input.concurrency ?? DEFAULT_RECONCILE_CONCURRENCY,
    onError: (key, err, attempt) => {
      metrics.errors.inc({ source: 'reconcile' });
      log.warn(
        { job: key, attempt, err: (err as Error)?.message ?? String(err) },
        'Reconcile failed; requeued',
      );
    },
    onHandled: (_key, ms, ok) => {
      metrics.reconciles.inc({ result: ok ? 'success' : 'error' });
      metrics.reconcileSeconds.observe(ms / 1000);
    },
  });
}
