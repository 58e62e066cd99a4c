import type { TrainingJobData, TrainingJobResult } from '../../lib/queue/training-queue.js';
import type { CallOptions } from './call-options.js';

/** What the operator sees of one training round in the queue. */
export interface TrainingRoundState {
  state: 'waiting' | 'active' | 'completed' | 'failed' | 'missing';
  result?: TrainingJobResult;
  failedReason?: string;
  attemptsMade?: number;
}

/** The training-queue port (BullMQ in production). */
export interface TrainingQueue {
  /** Enqueues a round under its deterministic jobId; a second call for the same round is a no-op. */
  enqueue(jobId: string, data: TrainingJobData, options?: CallOptions): Promise<{ created: boolean }>;
  /** State of a round; `missing` when the queue has no such job. */
  getState(jobId: string, options?: CallOptions): Promise<TrainingRoundState>;
  /** Runs a failed round again under the same jobId. */
  retry(jobId: string, options?: CallOptions): Promise<void>;
  /** Removes a round that has not started; true when something was removed. */
  cancel(jobId: string, options?: CallOptions): Promise<boolean>;
  /** Calls back when a round completes or fails (so the reconciler does not wait for a poll). */
  onSettled(cb: (jobId: string) => void): void;
  close(): Promise<void>;
}
