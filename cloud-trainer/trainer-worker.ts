import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DelayedError, UnrecoverableError, Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '../lib/log.js';
import { RoundCancelledError, watchRoundCancellation } from '../lib/queue/round-cancellation.js';
import type { TrainingJobData, TrainingJobResult } from '../lib/queue/training-queue.js';
import { createObjectStore } from '../lib/storage/minio-object-store.js';
import { CheckpointStore } from './checkpoint-store.js';
import { resolveTrainerConfig, type TrainerConfig } from './config.js';
import { DatasetCache } from '../lib/dataset/dataset-cache.js';
import { ModelPublisher } from './model-publisher.js';
import { buildOpsServer } from './ops-server.js';
import { redisConnection } from '../lib/infra/index.js';
import { TrainerMetrics } from './trainer-metrics.js';
import { createTrainingProcessor, type TrainingJob } from './training-processor.js';
import { TrainingInputError } from './training-input-error.js';
import { TrainingReleasedError } from './training-released-error.js';

/** A running trainer. */
export interface Trainer {
  worker: Worker<TrainingJobData, TrainingJobResult>;
  metrics: TrainerMetrics;
  cache: DatasetCache;
  /** `http://host:port` of the ops server, when one was started. */
  opsUrl: string | null;
  /**
   * Stops taking jobs; a running job is asked to checkpoint and is handed back to the queue. Waits at
   * most `closeTimeoutMs`, then forces the worker closed (its job then stalls and is taken over).
   */
  close(): Promise<void>;
}

/**
 * Starts a training worker: one job at a time on the training queue, with an ops server when
 * `opsPort` is set. For `edge-stl trainer`, the local mode and tests alike.
 */
export async function startTrainer(input: TrainerConfig): Promise<Trainer> {
  const config = resolveTrainerConfig(input);
  const logger = config.logger ?? createLogger('trainer');
  const store = config.store ?? createObjectStore(requireS3(config.s3));
  const metrics = new TrainerMetrics();
  const cache = new DatasetCache(store, join(config.workDir, 'cache', 'objects'));
  const roundsDir = join(config.workDir, 'rounds');
  await mkdir(roundsDir, { recursive: true });
  const processJob = createTrainingProcessor({
    store,
    ...(config.storeFor ? { storeFor: config.storeFor } : {}),
    cache,
    checkpoints: new CheckpointStore(store),
    publisher: new ModelPublisher(store),
    metrics,
    logger,
    roundsDir,
    checkpointEvery: config.checkpointEvery,
    cacheMaxBytes: config.cacheMaxBytes,
  });
  const processor = async (
    job: TrainingJob,
    token?: string,
    signal?: AbortSignal,
  ): Promise<TrainingJobResult> => {
    // The operator cancels a round (job deleted, spec changed) through a flag beside the job.
    const cancellation = watchRoundCancellation(worker, job.id!, config.cancelPollMs);
    try {
      const result = await processJob(job, token, signal, cancellation);
      metrics.jobs.inc({ outcome: 'completed' });
      return result;
    } catch (err) {
      throw await classifyFailure(job, token, err, metrics, logger);
    } finally {
      cancellation.stop();
    }
  };
  const worker = new Worker<TrainingJobData, TrainingJobResult>(config.queueName, processor, {
    connection: redisConnection(config.redisUrl),
    prefix: config.queuePrefix,
    concurrency: 1,
    lockDuration: config.lockDurationMs,
    stalledInterval: config.stalledIntervalMs,
    maxStalledCount: config.maxStalledCount,
    autorun: true,
  });
  let closing = false;
  worker.on('error', (err) => logger.error({ err }, 'Worker error'));
  worker.on('failed', (job, err) => logger.warn({ jobId: job?.id, err: err.message }, 'Training job failed'));
  await worker.waitUntilReady();
  logger.info({ queue: config.queueName, prefix: config.queuePrefix }, 'Trainer started');

  let ops: FastifyInstance | null = null;
  let opsUrl: string | null = null;
  if (config.opsPort !== null) {
    ops = buildOpsServer({ metrics, ready: () => !closing && worker.isRunning() });
    opsUrl = await ops.listen({ port: config.opsPort, host: config.opsHost });
  }

  return {
    worker,
    metrics,
    cache,
    opsUrl,
    async close() {
      if (closing) return;
      closing = true;
      worker.cancelAllJobs('trainer shutting down');
      const closed = worker.close();
      const timedOut = await Promise.race([
        closed.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(true), config.closeTimeoutMs).unref()),
      ]);
      if (timedOut) {
        logger.warn({ timeoutMs: config.closeTimeoutMs }, 'Trainer close timed out; forcing');
        await worker.close(true);
      }
      await ops?.close();
      logger.info('Trainer stopped');
    },
  };
}

/**
 * Maps a processor failure to what BullMQ should do: bad input and a cancelled round fail at once, a
 * shutdown hands the job back without spending an attempt, anything else is retried per the job's
 * attempts/backoff.
 */
async function classifyFailure(
  job: TrainingJob,
  token: string | undefined,
  err: unknown,
  metrics: TrainerMetrics,
  logger: ReturnType<typeof createLogger>,
): Promise<Error> {
  if (err instanceof TrainingReleasedError && token) {
    await job.moveToDelayed(Date.now(), token);
    metrics.jobs.inc({ outcome: 'released' });
    logger.info({ jobId: job.id, reason: err.message }, 'Released training job');
    return new DelayedError();
  }
  if (err instanceof RoundCancelledError) {
    metrics.jobs.inc({ outcome: 'cancelled' });
    logger.info({ jobId: job.id, reason: err.reason }, 'Training job cancelled');
    return new UnrecoverableError(err.message);
  }
  if (err instanceof TrainingInputError) {
    metrics.jobs.inc({ outcome: 'unrecoverable' });
    logger.error({ jobId: job.id, reason: err.message }, 'Training job has bad input');
    return new UnrecoverableError(err.message);
  }
  metrics.jobs.inc({ outcome: 'failed' });
  logger.error({ jobId: job.id, err }, 'Training attempt failed');
  await job
    .log(`attempt ${job.attemptsMade + 1} failed: ${err instanceof Error ? err.message : String(err)}`)
    .catch(() => undefined);
  return err instanceof Error ? err : new Error(String(err));
}

function requireS3(s3: TrainerConfig['s3']) {
  if (!s3)
    throw new TrainingInputError('trainer needs S3 settings (config.s3) or an object store (config.store)');
  return s3;
}
