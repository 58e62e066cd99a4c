import type { JobsOptions } from 'bullmq';

/**
 * Options to enqueue a training round with (besides `jobId: trainingJobId(...)`): a few attempts
 * with exponential backoff for outages; bad input fails at once regardless (`UnrecoverableError`).
 */
export const TRAINING_JOB_OPTIONS: Readonly<JobsOptions> = Object.freeze({
  attempts: 3,
  backoff: { type: 'exponential', delay: 30_000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 1000 },
  removeOnFail: { age: 30 * 24 * 3600 },
});
