import type { JobsOptions } from 'bullmq';
import { UsageError } from '../errors/index.js';
import type { Hyperparameters, TrainProgress } from '../algorithm-api/types.js';

/**
 * The default BullMQ queue that carries training rounds from the operator to the trainers. Both
 * take the name from one setting (`--queue`, the chart's `redis.trainingQueue`) through
 * {@link trainingQueueName}, so they cannot disagree by default.
 */
export const TRAINING_QUEUE = 'edge-stl-training';

/**
 * The Redis key prefix of the training queue unless `--prefix` says otherwise, on both sides:
 * BullMQ's own default, so the keys of queues made before it was named stay where they are.
 */
export const TRAINING_QUEUE_PREFIX = 'bull';

/**
 * Options every training round is enqueued with, besides its `jobId`. One attempt: the operator
 * retries a failed round itself (the job's retry policy, counted in status). BullMQ keeps finished
 * rounds because the operator reads their state and result from the queue, and removes each round
 * once the status records it.
 */
export const TRAINING_JOB_OPTIONS = Object.freeze({
  attempts: 1,
  removeOnComplete: false,
  removeOnFail: false,
}) satisfies Readonly<JobsOptions>;

/** BullMQ joins queue names into Redis keys with `:`, so a name is kept to plain characters. */
const QUEUE_NAME = /^[A-Za-z0-9][-A-Za-z0-9_.]{0,99}$/;

/** The training queue name from `--queue` (or the default); throws on a name BullMQ cannot use. */
export function trainingQueueName(flag: string | undefined): string {
  const name = flag ?? TRAINING_QUEUE;
  if (!QUEUE_NAME.test(name))
    throw new UsageError(`--queue expects letters, digits, "-", "_" or "." (got "${name}")`);
  return name;
}

/** What a training round's queue job id is made of. */
export interface TrainingRoundId {
  namespace: string;
  job: string;
  /** metadata.uid of the job object: a job recreated under the same name never meets an old round. */
  uid: string;
  round: number;
  /** metadata.generation whose spec the round trains from: a restarted round gets a new id. */
  generation: number;
}

/** A uid as Kubernetes writes it (a UUID); no dots, so the id parses back. */
const UID = /^[A-Za-z0-9][-A-Za-z0-9]{0,63}$/;
const JOB_ID = /^([^.]+)\.(.+)\.([A-Za-z0-9][-A-Za-z0-9]{0,63})\.r(\d+)\.g(\d+)$/;

/**
 * Deterministic BullMQ jobId `<ns>.<job>.<uid>.r<round>.g<generation>`: an operator restart, or a
 * duplicate submit, never enqueues a round twice, and rounds of another object never match.
 */
export function trainingJobId(id: TrainingRoundId): string {
  if (!UID.test(id.uid)) throw new UsageError(`job uid must be letters, digits and "-" (got "${id.uid}")`);
  return `${id.namespace}.${id.job}.${id.uid}.r${id.round}.g${id.generation}`;
}

/** Inverse of {@link trainingJobId}; null for an id of another shape. */
export function parseTrainingJobId(jobId: string): TrainingRoundId | null {
  const m = JOB_ID.exec(jobId);
  if (!m) return null;
  return { namespace: m[1], job: m[2], uid: m[3], round: Number(m[4]), generation: Number(m[5]) };
}

/** A model reference: published version, its s3:// URI and sha256. */
export interface ModelRef {
  version: string;
  uri: string;
  sha256: string;
}

/**
 * Payload of a training job. Everything is by URI; in a cluster the trainer reads only the S3 keys of
 * the round's job (its `storage.credentialsSecret`), never anything from the payload.
 */
export interface TrainingJobData {
  namespace: string;
  job: string;
  round: number;
  bucket: string;
  algorithm: { name: string; hyperparameters: Hyperparameters };
  dataset: {
    /** s3:// URI of the base Ianvs train `index.txt`. */
    trainIndex: string;
    /** s3:// URI of the Ianvs test `index.txt`. */
    testIndex: string;
    /** s3:// URI of the job's labeled-samples index; absent before any labels. */
    labeledIndex?: string;
    classes: string[];
    /** Use only the first fraction (0, 1] of the base train index (the "early stage" round 0). */
    trainFraction?: number;
    /** Share of the training samples that are labeled edge samples, by repetition (0: plain union). */
    labeledShare?: number;
  };
  /** Model to start from (fine-tuning), usually the deployed one. */
  baseModel?: ModelRef;
  /** Currently deployed model, evaluated as the baseline on the same test index. */
  deployedModel?: ModelRef;
  evaluation: { metric: string };
  /** Resume point saved by an earlier attempt of this job (set by the trainer itself). */
  checkpoint?: { uri: string; iteration: number };
}

/** What a finished training job returns. */
export interface TrainingJobResult {
  version: string;
  uri: string;
  sha256: string;
  metrics: Record<string, number>;
  baselineMetrics: Record<string, number> | null;
  trainSeconds: number;
  /** Number of labeled edge samples used in this round. */
  labeledSamples: number;
}

/** Progress payload reported through `job.updateProgress`. */
export interface TrainingJobProgress extends Partial<TrainProgress> {
  stage: 'fetching' | 'training' | 'evaluating' | 'publishing';
}
