import { Queue, QueueEvents, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from 'pino';
import {
  TRAINING_JOB_OPTIONS,
  TRAINING_QUEUE,
  TRAINING_QUEUE_PREFIX,
  type TrainingJobData,
  type TrainingJobProgress,
  type TrainingJobResult,
} from '../../lib/queue/training-queue.js';
import { clearRoundCancellation, requestRoundCancellation } from '../../lib/queue/round-cancellation.js';
import type { CallOptions } from '../ports/call-options.js';
import type { RoundCancellation, TrainingQueue, TrainingRoundState } from '../ports/training-queue.js';

export interface BullmqTrainingQueueOptions {
  connection: ConnectionOptions;
  /** Key prefix; the trainers must use the same one (default {@link TRAINING_QUEUE_PREFIX}). */
  prefix?: string;
  /** Queue name; the trainers must consume the same one (default {@link TRAINING_QUEUE}). */
  queueName?: string;
  log: Logger;
}

/**
 * TrainingQueue on BullMQ: rounds are added under their deterministic jobId (a second add of the
 * same id is ignored by BullMQ), completion is observed through QueueEvents and by polling state,
 * and a running round is cancelled through the flag of lib/queue/round-cancellation.
 */
export class BullmqTrainingQueue implements TrainingQueue {
  private readonly queue: Queue<TrainingJobData, TrainingJobResult>;
  private readonly events: QueueEvents;
  private readonly listeners: Array<(jobId: string) => void> = [];

  constructor(opts: BullmqTrainingQueueOptions) {
    const common = { connection: opts.connection, prefix: opts.prefix ?? TRAINING_QUEUE_PREFIX };
    const name = opts.queueName ?? TRAINING_QUEUE;
    this.queue = new Queue<TrainingJobData, TrainingJobResult>(name, common);
    this.events = new QueueEvents(name, common);
    this.queue.on('error', (err) => opts.log.warn({ err: err.message }, 'Training queue error'));
    this.events.on('error', (err) => opts.log.warn({ err: err.message }, 'Training queue events error'));
    const settled = ({ jobId }: { jobId: string }): void => {
      for (const l of this.listeners) l(jobId);
    };
    this.events.on('completed', settled);
    this.events.on('failed', settled);
    this.events.on('active', settled);
  }

  async enqueue(
    jobId: string,
    data: TrainingJobData,
    options: CallOptions = {},
  ): Promise<{ created: boolean }> {
    const existing = await this.queue.getJob(jobId);
    if (existing) return { created: false };
    options.signal?.throwIfAborted(); // Redis commands cannot be recalled: no write once cancelled
    await this.queue.add(`${data.namespace}/${data.job}`, data, { ...TRAINING_JOB_OPTIONS, jobId });
    return { created: true };
  }

  async getState(jobId: string): Promise<TrainingRoundState> {
    const job: Job<TrainingJobData, TrainingJobResult> | undefined = await this.queue.getJob(jobId);
    if (!job) return { state: 'missing' };
    const state = await job.getState();
    switch (state) {
      case 'completed':
        return { state: 'completed', result: job.returnvalue, attemptsMade: job.attemptsMade };
      case 'failed':
        return { state: 'failed', failedReason: job.failedReason, attemptsMade: job.attemptsMade };
      case 'active':
        return { state: 'active', attemptsMade: job.attemptsMade };
      case 'unknown':
        return { state: 'missing' };
      default:
        return { state: 'waiting', attemptsMade: job.attemptsMade };
    }
  }

  async getProgress(jobId: string): Promise<TrainingJobProgress | null> {
    // BullMQ's progress is 0 until the trainer's first updateProgress (an object, the trainer's contract).
    const progress = (await this.queue.getJob(jobId))?.progress;
    return progress !== null && typeof progress === 'object' ? (progress as TrainingJobProgress) : null;
  }

  async retry(jobId: string, options: CallOptions = {}): Promise<void> {
    const job = await this.queue.getJob(jobId);
    if (!job || (await job.getState()) !== 'failed') return;
    options.signal?.throwIfAborted();
    await job.retry('failed');
  }

  async cancel(jobId: string, reason: string, options: CallOptions = {}): Promise<RoundCancellation> {
    const job = await this.queue.getJob(jobId);
    if (!job) return 'missing';
    options.signal?.throwIfAborted();
    // Flag first: a waiting round a trainer takes meanwhile still sees it.
    await requestRoundCancellation(this.queue, jobId, reason);
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') return 'settled';
    if (state === 'unknown') return 'missing';
    if (state === 'active') return 'requested';
    options.signal?.throwIfAborted();
    try {
      await job.remove();
      await clearRoundCancellation(this.queue, jobId);
      return 'removed';
    } catch {
      return 'requested'; // taken by a trainer between the two calls (BullMQ refuses to remove a locked job)
    }
  }

  async remove(jobId: string, options: CallOptions = {}): Promise<void> {
    const job = await this.queue.getJob(jobId);
    if (job && (await job.getState()) === 'active') return;
    options.signal?.throwIfAborted();
    if (job) await job.remove();
    await clearRoundCancellation(this.queue, jobId);
  }

  onSettled(cb: (jobId: string) => void): void {
    this.listeners.push(cb);
  }

  /** The underlying queue (tests count jobs). */
  get bullQueue(): Queue<TrainingJobData, TrainingJobResult> {
    return this.queue;
  }

  async close(): Promise<void> {
    await Promise.all([this.events.close(), this.queue.close()]);
  }
}
