import type { Logger } from 'pino';
import type {
  DefaultedSingleTaskLearningJobSpec,
  Phase,
  SingleTaskLearningJob,
  SingleTaskLearningJobStatus,
} from '../../lib/api/v1alpha1/index.js';
import { CONDITION_TYPE, setCondition } from '../../lib/api/v1alpha1/index.js';
import type { ConditionInput } from '../../lib/api/v1alpha1/types.js';
import type { TrainingJobResult } from '../../lib/queue/training-queue.js';
import type { EdgeRegistry } from '../coordination/edge-registry.js';
import type { JobStorage } from '../job-storage.js';
import type { Clock } from '../ports/clock.js';
import type { JobEvent, JobRef, JobStore } from '../ports/job-store.js';
import type { TrainingQueue } from '../ports/training-queue.js';

/** Everything a phase handler may use. */
export interface ReconcilerDeps {
  jobs: JobStore;
  queue: TrainingQueue;
  storage: JobStorage;
  registry: EdgeRegistry;
  clock: Clock;
  log: Logger;
  /** How long deletion waits for online agents to acknowledge a drop. */
  dropTimeoutMs: number;
}

/** Re-check interval for a prerequisite that is missing (Secret, bucket, dataset). */
export const PREREQ_RETRY_MS = 30_000;
/** Poll interval of a training round (QueueEvents usually wake the job sooner). */
export const TRAINING_POLL_MS = 10_000;
/**
 * How long a cancelled round may take to stop (the trainer checks between steps) before deletion or
 * a restart goes on without it.
 */
export const ROUND_CANCEL_TIMEOUT_MS = 120_000;
/** Re-check interval while a cancelled round winds down. */
export const ROUND_CANCEL_POLL_MS = 1_000;
/** Refresh interval of status.edgeNodes while a job serves (staleness shows up within this). */
export const EDGE_REFRESH_MS = 30_000;

/**
 * One reconcile's working state: the observed job, its defaulted spec, a status draft the handlers
 * edit, events to emit after the status patch, and the earliest requeue asked for.
 */
export class ReconcileContext {
  readonly status: SingleTaskLearningJobStatus;
  readonly events: JobEvent[] = [];
  requeueAfterMs: number | undefined;
  /** A reason the job cannot make progress (Ready=False), set by a handler. */
  blocked: ConditionInput | undefined;
  /** The finished round's result, when the handler that saw it completes passes it on. */
  result: TrainingJobResult | undefined;
  /** Work that may only run once the status is stored (e.g. dropping a round whose result it records). */
  readonly afterStatus: Array<() => Promise<void>> = [];

  constructor(
    readonly job: SingleTaskLearningJob,
    readonly ref: JobRef,
    readonly key: string,
    readonly spec: DefaultedSingleTaskLearningJobSpec,
    readonly now: Date,
  ) {
    this.status = structuredClone(job.status ?? {});
  }

  get generation(): number | undefined {
    return this.job.metadata?.generation;
  }

  /** Upserts a condition (one per type; lastTransitionTime moves only on a flip). */
  condition(input: ConditionInput): void {
    this.status.conditions = setCondition(this.status.conditions, input, this.generation, this.now);
  }

  /** Moves to a phase, with a Normal event for the transition. */
  phase(next: Phase, message: string, type: JobEvent['type'] = 'Normal'): void {
    if (this.status.phase === next) return;
    const from = this.status.phase ?? 'none';
    this.status.phase = next;
    this.events.push({ type, reason: next, message: `${from} -> ${next}: ${message}` });
  }

  /**
   * A prerequisite is missing (Secret, bucket, dataset, initial model): Ready=False with the
   * reason, a Warning event (aggregated by the job store when it repeats), and a re-check later.
   */
  missing(reason: string, message: string): void {
    this.blocked = { type: CONDITION_TYPE.Ready, status: 'False', reason, message };
    this.event({ type: 'Warning', reason, message });
    this.requeue(PREREQ_RETRY_MS);
  }

  event(e: JobEvent): void {
    this.events.push(e);
  }

  /** Asks to be reconciled again after `ms` (the earliest request wins). */
  requeue(ms: number): void {
    this.requeueAfterMs = this.requeueAfterMs === undefined ? ms : Math.min(this.requeueAfterMs, ms);
  }
}
