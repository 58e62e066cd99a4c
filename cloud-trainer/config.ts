import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../lib/log.js';
import type { ObjectStore, S3Config } from '../lib/storage/object-store.js';
import { TRAINING_QUEUE, TRAINING_QUEUE_PREFIX, type TrainingJobData } from '../lib/queue/training-queue.js';

/** How a trainer process is wired. Only `redisUrl` and one of `s3` / `store` are required. */
export interface TrainerConfig {
  redisUrl: string;
  /** S3 endpoint and credentials; ignored when `store` is given. */
  s3?: S3Config;
  /** An object store to use instead of building one from `s3` (in-process use, tests). */
  store?: ObjectStore;
  /**
   * The store of each round's job, opened with the job's own credentials (cluster mode: read from its
   * `storage.credentialsSecret`); without it every round uses `store` / `s3`.
   */
  storeFor?: (data: TrainingJobData) => Promise<ObjectStore>;
  /** BullMQ queue name (default: the foundation's training queue). */
  queueName?: string;
  /** BullMQ key prefix (default `bull`), so that tests and installations can share one Redis. */
  queuePrefix?: string;
  /** Local scratch: the dataset cache lives in `<workDir>/cache`, rounds in `<workDir>/rounds`. */
  workDir?: string;
  /** The dataset cache is pruned to this size after each round (default 20 GiB). */
  cacheMaxBytes?: number;
  /** Write a resumable checkpoint every this many iterations (default 50). */
  checkpointEvery?: number;
  /** BullMQ lock duration: a dead worker's job is taken over after about this long (default 60 s). */
  lockDurationMs?: number;
  /** How often this worker looks for stalled jobs (default 30 s). */
  stalledIntervalMs?: number;
  /** A job that stalls more than this many times fails (default 3). */
  maxStalledCount?: number;
  /** How often a running round checks whether the operator cancelled it (default 1 s). */
  cancelPollMs?: number;
  /** `close()` waits this long for the current job to checkpoint, then forces (default 30 s). */
  closeTimeoutMs?: number;
  /** Port of the ops server (`/healthz`, `/readyz`, `/metrics`); 0 = any free port, null = none. */
  opsPort?: number | null;
  opsHost?: string;
  logger?: Logger;
}

/** The config with defaults applied. */
export type ResolvedTrainerConfig = Required<Omit<TrainerConfig, 's3' | 'store' | 'storeFor' | 'logger'>> &
  Pick<TrainerConfig, 's3' | 'store' | 'storeFor' | 'logger'>;

/** The trainer's defaults, declared once: `resolveTrainerConfig` and `edge-stl trainer --help` use them. */
export const TRAINER_DEFAULTS = {
  queuePrefix: TRAINING_QUEUE_PREFIX,
  workDir: join(tmpdir(), 'edge-stl-trainer'),
  cacheMaxBytes: 20 * 1024 ** 3,
  checkpointEvery: 50,
  lockDurationMs: 60_000,
  stalledIntervalMs: 30_000,
  /** What `edge-stl trainer` serves /healthz, /readyz and /metrics on (programmatic use: none). */
  opsPort: 9464,
} as const;

export function resolveTrainerConfig(config: TrainerConfig): ResolvedTrainerConfig {
  return {
    redisUrl: config.redisUrl,
    s3: config.s3,
    store: config.store,
    storeFor: config.storeFor,
    logger: config.logger,
    queueName: config.queueName ?? TRAINING_QUEUE,
    queuePrefix: config.queuePrefix ?? TRAINER_DEFAULTS.queuePrefix,
    workDir: config.workDir ?? TRAINER_DEFAULTS.workDir,
    cacheMaxBytes: config.cacheMaxBytes ?? TRAINER_DEFAULTS.cacheMaxBytes,
    checkpointEvery: config.checkpointEvery ?? TRAINER_DEFAULTS.checkpointEvery,
    lockDurationMs: config.lockDurationMs ?? TRAINER_DEFAULTS.lockDurationMs,
    stalledIntervalMs: config.stalledIntervalMs ?? TRAINER_DEFAULTS.stalledIntervalMs,
    maxStalledCount: config.maxStalledCount ?? 3,
    closeTimeoutMs: config.closeTimeoutMs ?? 30_000,
    cancelPollMs: config.cancelPollMs ?? 1_000,
    opsPort: config.opsPort === undefined ? null : config.opsPort,
    opsHost: config.opsHost ?? '0.0.0.0',
  };
}
