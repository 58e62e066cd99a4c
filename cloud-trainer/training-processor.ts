import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import type { BaseModel, TrainProgress } from '../lib/algorithm-api/types.js';
import { UsageError } from '../lib/errors/index.js';
import type { Logger } from '../lib/log.js';
import { RoundCancelledError, type RoundCancellationWatch } from '../lib/queue/round-cancellation.js';
import type { TrainingJobData, TrainingJobProgress, TrainingJobResult } from '../lib/queue/training-queue.js';
import type { ObjectStore } from '../lib/storage/object-store.js';
import { CheckpointStore, type CheckpointRef, type RoundScope } from './checkpoint-store.js';
import type { DatasetCache } from '../lib/dataset/dataset-cache.js';
import { fetchRoundData, type RoundData } from './dataset-fetcher.js';
import { assertTrainingJobData } from './job-data-schema.js';
import { buildModel } from './model-factory.js';
import { evaluateBaseline, fetchVerifiedModel } from './model-evaluation.js';
import { ModelPublisher } from './model-publisher.js';
import type { TrainerMetrics } from './trainer-metrics.js';
import { TrainingInputError } from './training-input-error.js';
import { TrainingReleasedError } from './training-released-error.js';

/** A training job as the worker sees it. */
export type TrainingJob = Job<TrainingJobData, TrainingJobResult>;

/** What the processor needs; built once per worker. */
export interface ProcessorDeps {
  /** The store of every round, unless `storeFor` names one per round. */
  store: ObjectStore;
  /**
   * The store of a round's job (its own credentials); the cache, checkpoints and publisher of that
   * round then go through it. A failure here is retried like any other failed attempt.
   */
  storeFor?: (data: TrainingJobData) => Promise<ObjectStore>;
  cache: DatasetCache;
  checkpoints: CheckpointStore;
  publisher: ModelPublisher;
  metrics: TrainerMetrics;
  logger: Logger;
  /** Local directory for per-round files (removed after each round). */
  roundsDir: string;
  checkpointEvery: number;
  /** Cache size kept after each round. */
  cacheMaxBytes: number;
}

/** Job progress is pushed to Redis at most this often (the last one of a stage always goes out). */
const PROGRESS_INTERVAL_MS = 500;

interface TrainOutcome {
  trainSeconds: number;
  iterations: number;
  resumedFrom: number | null;
}

/**
 * The BullMQ processor of the training queue: fetch the round's data, train (resuming from the
 * round's last checkpoint when a previous attempt left one), evaluate the new and the deployed model
 * on the same test index, and publish `models/<ns>/<job>/v<round>/model.zip` exactly once.
 */
export function createTrainingProcessor(shared: ProcessorDeps) {
  return async function processTrainingJob(
    job: TrainingJob,
    _token?: string,
    signal?: AbortSignal,
    cancellation?: RoundCancellationWatch,
  ): Promise<TrainingJobResult> {
    assertTrainingJobData(job.data);
    const deps = shared.storeFor ? throughStore(shared, await shared.storeFor(job.data)) : shared;
    const scope = roundScope(job);
    const log = deps.logger.child({ jobId: job.id, attempt: job.attemptsMade + 1 });
    const dir = join(deps.roundsDir, `${job.id ?? 'job'}-${randomUUID().slice(0, 8)}`);
    await mkdir(dir, { recursive: true });
    try {
      return await runRound(deps, job, scope, dir, log, signal, cancellation);
    } catch (err) {
      if (err instanceof RoundCancelledError) {
        // Nothing of a cancelled run is wanted: its checkpoints go (a model it published is gone already).
        await deps.checkpoints
          .clearRound(scope)
          .catch((e) => log.warn({ err: e }, "Could not clear the cancelled round's checkpoints"));
        log.info({ reason: err.reason }, 'Round cancelled; its checkpoints are removed');
      }
      throw err;
    } finally {
      // Never let clean-up replace the round's own outcome or error.
      await rm(dir, { recursive: true, force: true }).catch((err: unknown) =>
        log.warn({ err: (err as Error).message, dir }, 'Could not remove round directory'),
      );
      await deps.cache
        .prune(deps.cacheMaxBytes)
        .catch((err) => log.warn({ err }, 'Could not prune dataset cache'));
    }
  };
}

/** The processor's dependencies with every object access going through `store`. */
function throughStore(deps: ProcessorDeps, store: ObjectStore): ProcessorDeps {
  return {
    ...deps,
    store,
    cache: deps.cache.withStore(store),
    checkpoints: new CheckpointStore(store),
    publisher: new ModelPublisher(store),
  };
}

/** Where a run of a round keeps its files: the queue job id tells runs of one round apart. */
function roundScope(job: TrainingJob): RoundScope {
  const data = job.data;
  if (!job.id) throw new TrainingInputError('training job has no id');
  return {
    bucket: data.bucket,
    namespace: data.namespace,
    job: data.job,
    round: data.round,
    trainingId: job.id,
  };
}

/**
 * One run: checks for cancellation between its stages (and training stops at the next step), so a
 * cancelled run publishes nothing, or takes back what it published while the cancel came in.
 */
async function runRound(
  deps: ProcessorDeps,
  job: TrainingJob,
  scope: RoundScope,
  dir: string,
  log: Logger,
  signal: AbortSignal | undefined,
  cancellation: RoundCancellationWatch | undefined,
): Promise<TrainingJobResult> {
  const data = job.data;
  const checkCancelled = async (): Promise<void> => cancellation?.check();
  await checkCancelled();
  const published = await deps.publisher.findPublished(scope, dir);
  if (published) {
    log.info({ version: published.version, sha256: published.sha256 }, 'Round already published');
    await job.log(`round already published as ${published.version}; nothing trained`);
    return published;
  }
  await job.updateProgress({ stage: 'fetching' } satisfies TrainingJobProgress);
  const statsBefore = deps.cache.getStats();
  const roundData = await fetchRoundData(data, deps.cache, join(dir, 'data'));
  countCache(deps, statsBefore);
  log.info({ ...roundData.sizes, cacheHitRatio: deps.cache.hitRatio() }, 'Fetched round data');
  // The job's classes fix the label order, so rounds, resumes and fine-tunes agree on it.
  const model = buildModel(data.algorithm.name, {
    ...data.algorithm.hyperparameters,
    classes: data.dataset.classes,
  });
  try {
    await checkCancelled();
    const stop =
      cancellation && signal
        ? AbortSignal.any([signal, cancellation.signal])
        : (cancellation?.signal ?? signal);
    const outcome = await trainRound(deps, job, scope, model, roundData, dir, log, stop);
    await checkCancelled();
    await job.updateProgress({ stage: 'evaluating' } satisfies TrainingJobProgress);
    const trainedZip = await model.save(join(dir, 'trained.zip'));
    const metrics = await model.evaluate(roundData.test, trainedZip, { metric: data.evaluation.metric });
    const baselineMetrics = data.deployedModel
      ? await evaluateBaseline(deps.store, data.deployedModel, roundData.test, data.evaluation.metric, dir)
      : null;
    log.info({ metrics, baselineMetrics }, 'Evaluated round');
    await checkCancelled();
    await job.updateProgress({ stage: 'publishing' } satisfies TrainingJobProgress);
    const result = await deps.publisher.publish(scope, trainedZip, dir, {
      data,
      metrics,
      baselineMetrics,
      sizes: roundData.sizes,
      trainSeconds: outcome.trainSeconds,
      iterations: outcome.iterations,
    });
    await checkCancelled().catch(async (err: unknown) => {
      // Cancelled while publishing: the model is no round's; take it back before failing.
      if (err instanceof RoundCancelledError) await deps.publisher.unpublish(scope, result.sha256, dir);
      throw err;
    });
    await deps.checkpoints
      .clearRound(scope)
      .catch((err) => log.warn({ err }, 'Could not clear scratch checkpoints'));
    log.info(
      { version: result.version, sha256: result.sha256, resumedFrom: outcome.resumedFrom },
      'Published model',
    );
    return result;
  } finally {
    await model.dispose();
  }
}

/** Trains, resuming from a saved checkpoint or starting from the base model; checkpoints as it goes. */
async function trainRound(
  deps: ProcessorDeps,
  job: TrainingJob,
  scope: RoundScope,
  model: BaseModel,
  roundData: RoundData,
  dir: string,
  log: Logger,
  signal?: AbortSignal,
): Promise<TrainOutcome> {
  const data = job.data;
  let saved: CheckpointRef | undefined = data.checkpoint;
  let resumeFrom: string | undefined;
  if (saved && (await deps.checkpoints.restore(saved, join(dir, 'resume')))) {
    resumeFrom = join(dir, 'resume');
    log.info({ iteration: saved.iteration, uri: saved.uri }, 'Resuming from checkpoint');
    await job.log(`resumed from checkpoint at iteration ${saved.iteration}`);
  } else if (data.baseModel) {
    const baseZip = await fetchVerifiedModel(deps.store, data.baseModel, join(dir, 'base.zip'));
    // Hyperparameters the base model cannot take (another architecture) will not fit on a retry.
    await model.load(baseZip).catch((err: unknown) => {
      if (!(err instanceof UsageError)) throw err;
      throw new TrainingInputError(`base model ${data.baseModel!.version}: ${err.message}`, { cause: err });
    });
    log.info({ version: data.baseModel.version }, 'Fine-tuning from base model');
  }
  const progress = progressReporter(deps, job);
  const persist = async (checkpointDir: string, iteration: number): Promise<void> => {
    if (saved && saved.iteration >= iteration) return;
    const previous = saved;
    saved = await deps.checkpoints.save(scope, checkpointDir, iteration);
    // Point the job at the new checkpoint before dropping the old one: a kill in between loses nothing.
    await job.updateData({ ...job.data, checkpoint: saved });
    if (previous) await deps.checkpoints.remove(previous).catch(() => undefined);
    deps.metrics.checkpoints.inc();
    log.debug({ iteration, uri: saved.uri }, 'Saved checkpoint');
  };
  const started = Date.now();
  deps.metrics.activeJobs.inc();
  let checkpointDir: string;
  try {
    await job.updateProgress({
      stage: 'training',
      iteration: saved?.iteration ?? 0,
    } satisfies TrainingJobProgress);
    checkpointDir = await model.train(roundData.train, undefined, {
      workDir: join(dir, 'work'),
      checkpointEvery: deps.checkpointEvery,
      onProgress: progress.report,
      onCheckpoint: persist,
      ...(resumeFrom ? { resumeFrom } : {}),
      ...(signal ? { signal } : {}),
    });
  } finally {
    deps.metrics.activeJobs.dec();
    await progress.flush();
  }
  const trainSeconds = (Date.now() - started) / 1000;
  const last = progress.last();
  if (signal?.reason instanceof RoundCancelledError) throw signal.reason;
  if (signal?.aborted) {
    // Shutting down: keep what was learned since the last checkpoint, then hand the job back.
    if (last && last.iteration > (saved?.iteration ?? 0)) await persist(checkpointDir, last.iteration);
    throw new TrainingReleasedError(`training released at iteration ${saved?.iteration ?? 0}`);
  }
  deps.metrics.trainingSeconds.observe(trainSeconds);
  return {
    trainSeconds,
    iterations: last?.iteration ?? saved?.iteration ?? 0,
    resumedFrom: resumeFrom ? (data.checkpoint?.iteration ?? null) : null,
  };
}

/** Forwards training progress to the job (throttled) and to the metrics; keeps the latest value. */
function progressReporter(deps: ProcessorDeps, job: TrainingJob) {
  let latest: TrainProgress | undefined;
  let lastSent = 0;
  let chain: Promise<unknown> = Promise.resolve();
  const send = (p: TrainProgress): void => {
    lastSent = Date.now();
    const payload: TrainingJobProgress = { stage: 'training', ...p };
    chain = chain.then(() => job.updateProgress(payload)).catch(() => undefined);
  };
  return {
    report(p: TrainProgress): void {
      latest = p;
      deps.metrics.lastLoss.set(p.loss);
      deps.metrics.iteration.set(p.iteration);
      if (Date.now() - lastSent >= PROGRESS_INTERVAL_MS) send(p);
    },
    async flush(): Promise<void> {
      if (latest) send(latest);
      await chain;
    },
    last: (): TrainProgress | undefined => latest,
  };
}

function countCache(deps: ProcessorDeps, before: { hits: number; misses: number }): void {
  const after = deps.cache.getStats();
  deps.metrics.cacheHits.inc(after.hits - before.hits);
  deps.metrics.cacheMisses.inc(after.misses - before.misses);
}
