import type {
  TrainingJobData,
  TrainingJobProgress,
  TrainingJobResult,
} from '../../lib/queue/training-queue.js';
import type { CallOptions } from './call-options.js';

/** What the operator sees of one training round in the queue. */
export interface TrainingRoundState {
  state: 'waiting' | 'active' | 'completed' | 'failed' | 'missing';
  result?: TrainingJobResult;
  failedReason?: string;
  attemptsMade?: number;
}

/**
 * Outcome of {@link TrainingQueue.cancel}: `removed` (it had not started), `requested` (it runs and
 * was told to stop), `settled` (it had already completed or failed), `missing` (no such round).
 */
export type RoundCancellation = 'removed' | 'requested' | 'settled' | 'missing';

/** The training-queue port (BullMQ in production). */
export interface TrainingQueue {
  /** Enqueues a round under its deterministic jobId; a second call for the same round is a no-op. */
  enqueue(jobId: string, data: TrainingJobData, options?: CallOptions): Promise<{ created: boolean }>;
  /** State of a round; `missing` when the queue has no such job. */
  getState(jobId: string, options?: CallOptions): Promise<TrainingRoundState>;
  /** What a round's trainer last reported of its progress; null before its first report or when there is no such round. */
  getProgress(jobId: string, options?: CallOptions): Promise<TrainingJobProgress | null>;
  /** Runs a failed round again under the same jobId. */
  retry(jobId: string, options?: CallOptions): Promise<void>;
  /**
   * Cancels a round: a waiting one is removed, a running one is flagged and its trainer stops at its
   * next check (the round then fails). Idempotent; says where the round stands afterwards.
   */
  cancel(jobId: string, reason: string, options?: CallOptions): Promise<RoundCancellation>;
  /** Removes a round that is not running (its result recorded, or cancelled); a running one is kept. */
  remove(jobId: string, options?: CallOptions): Promise<void>;
  /** Calls back when a round completes or fails (so the reconciler does not wait for a poll). */
  onSettled(cb: (jobId: string) => void): void;
  close(): Promise<void>;
}
