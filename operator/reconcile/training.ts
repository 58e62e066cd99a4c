import { createHash } from 'node:crypto';
import {
  CONDITION_TYPE,
  MODEL_STATE,
  PHASE,
  REASON,
  TRAINING_STATE,
  getCondition,
} from '../../lib/api/v1alpha1/index.js';
import type { DefaultedSingleTaskLearningJobSpec, TrainingStatus } from '../../lib/api/v1alpha1/index.js';
import type { ModelRef, TrainingJobData } from '../../lib/queue/training-queue.js';
import { trainingJobId } from '../../lib/queue/training-queue.js';
import { labeledIndexKey } from '../../lib/storage/layout.js';
import { formatS3Uri } from '../../lib/storage/s3-uri.js';
import { evaluateModel } from '../state-machine/evaluation.js';
import { recordModel } from '../state-machine/model-history.js';
import { startRollout } from '../state-machine/rollout.js';
import {
  ROUND_CANCEL_POLL_MS,
  ROUND_CANCEL_TIMEOUT_MS,
  TRAINING_POLL_MS,
  type ReconcileContext,
  type ReconcilerDeps,
} from './context.js';

/** JSON with sorted keys, so the same spec always gives the same digest. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/**
 * Digest of the spec fields a round's model depends on (algorithm and hyperparameters, dataset and
 * classes, the metric it is evaluated on, the bucket it publishes to). Other fields (rollout,
 * trigger, edge) never make a running round stale.
 */
export function trainingSpecDigest(spec: DefaultedSingleTaskLearningJobSpec): string {
  const shaping = {
    algorithm: spec.algorithm,
    dataset: spec.dataset,
    metric: spec.evaluation.metric,
    bucket: spec.storage.bucket,
  };
  return createHash('sha256').update(canonicalJson(shaping)).digest('hex').slice(0, 16);
}

/** The training payload of a round: everything by URI. */
export function trainingData(ctx: ReconcileContext, round: number): TrainingJobData {
  const { spec, ref } = ctx;
  const current = ctx.status.currentModel;
  const deployed: ModelRef | undefined = current
    ? { version: current.version, uri: current.uri, sha256: current.sha256 }
    : undefined;
  const labeled = round > 0 && (ctx.status.samples?.labeled ?? 0) > 0;
  return {
    namespace: ref.namespace,
    job: ref.name,
    round,
    bucket: spec.storage.bucket,
    algorithm: {
      name: spec.algorithm.name,
      hyperparameters: spec.algorithm.hyperparameters as TrainingJobData['algorithm']['hyperparameters'],
    },
    dataset: {
      trainIndex: spec.dataset.trainIndex,
      testIndex: spec.dataset.testIndex,
      ...(labeled
        ? { labeledIndex: formatS3Uri(spec.storage.bucket, labeledIndexKey(ref.namespace, ref.name)) }
        : {}),
      classes: spec.dataset.classes,
      ...(round === 0 && spec.dataset.trainFraction !== undefined
        ? { trainFraction: spec.dataset.trainFraction }
        : {}),
      ...(spec.dataset.labeledShare ? { labeledShare: spec.dataset.labeledShare } : {}),
    },
    ...(deployed ? { baseModel: deployed, deployedModel: deployed } : {}),
    evaluation: { metric: spec.evaluation.metric },
  };
}

/**
 * Enqueues a round under its deterministic jobId, then records it with the generation it trains
 * from. Enqueue comes first: if the operator dies before the status patch, the retry re-enqueues
 * the same jobId, which BullMQ ignores.
 */
export async function dispatchRound(
  deps: ReconcilerDeps,
  ctx: ReconcileContext,
  round: number,
): Promise<void> {
  const uid = ctx.job.metadata?.uid;
  if (!uid) throw new Error(`job ${ctx.key} has no metadata.uid; its rounds cannot be told from another's`);
  const generation = ctx.generation ?? 0;
  const jobId = trainingJobId({ namespace: ctx.ref.namespace, job: ctx.ref.name, uid, round, generation });
  const { created } = await deps.queue.enqueue(jobId, trainingData(ctx, round));
  deps.log.info({ job: ctx.key, round, jobId, created }, 'Enqueued training round');
  const previous = ctx.status.training?.jobId === jobId ? ctx.status.training : undefined;
  ctx.status.round = round;
  ctx.status.training = {
    round,
    jobId,
    generation,
    specDigest: trainingSpecDigest(ctx.spec),
    state: TRAINING_STATE.Queued,
    attempts: previous?.attempts ?? 1,
    failures: previous?.failures ?? 0,
    startedAt: previous?.startedAt ?? ctx.now.toISOString(),
  };
  ctx.condition({
    type: CONDITION_TYPE.Training,
    status: 'True',
    reason: REASON.TrainingQueued,
    message: `round ${round} queued as ${jobId}`,
    observedGeneration: generation,
  });
  if (!previous)
    ctx.event({
      type: 'Normal',
      reason: REASON.TrainingQueued,
      message: `Round ${round} queued as ${jobId} (generation ${generation})`,
    });
  ctx.phase(PHASE.Training, `round ${round} queued`);
  ctx.requeue(TRAINING_POLL_MS);
}

/**
 * A spec change that shapes training while a round is queued or running cancels the round and
 * trains it again from the new generation. Cancel-and-restart rather than finish-and-retrain: the
 * running round's model answers the old spec (its classes may not even match), so evaluating or
 * deploying it would be wrong, and its remaining training time is wasted; deletion needs the same
 * cancellation anyway. The old round is given ROUND_CANCEL_TIMEOUT_MS to stop, so that two rounds
 * of one job never train (and publish) at once.
 */
async function restartRound(deps: ReconcilerDeps, ctx: ReconcileContext, t: TrainingStatus): Promise<void> {
  const from = t.generation;
  const to = ctx.generation ?? 0;
  if (!t.cancelRequestedAt) {
    t.cancelRequestedAt = ctx.now.toISOString();
    ctx.event({
      type: 'Normal',
      reason: REASON.TrainingRestarted,
      message: `Round ${t.round} restarts: generation ${to} changed what it trains on (algorithm, dataset or evaluation); the round training from generation ${from} is cancelled`,
    });
  }
  const outcome = await deps.queue.cancel(t.jobId!, `spec changed (generation ${to})`);
  const waited = ctx.now.getTime() - Date.parse(t.cancelRequestedAt);
  if (outcome === 'requested' && waited < ROUND_CANCEL_TIMEOUT_MS) {
    ctx.condition({
      type: CONDITION_TYPE.Training,
      status: 'True',
      reason: REASON.TrainingRestarted,
      message: `round ${t.round} (generation ${from}) is being cancelled; it restarts from generation ${to}`,
      observedGeneration: to,
    });
    ctx.requeue(ROUND_CANCEL_POLL_MS);
    return;
  }
  if (outcome === 'requested')
    deps.log.warn(
      { job: ctx.key, jobId: t.jobId },
      'Cancelled round did not stop in time; restarting anyway',
    );
  else await deps.queue.remove(t.jobId!);
  await dispatchRound(deps, ctx, t.round!);
  ctx.condition({
    type: CONDITION_TYPE.Training,
    status: 'True',
    reason: REASON.TrainingRestarted,
    message: `round ${t.round} restarted from generation ${to} (was training from generation ${from}) as ${ctx.status.training!.jobId}`,
    observedGeneration: to,
  });
}

/** Training: follows the queued round; a failure is retried under the same jobId up to backoffLimit. */
export async function observeTraining(deps: ReconcilerDeps, ctx: ReconcileContext): Promise<void> {
  const t = ctx.status.training;
  if (!t?.jobId || t.round === undefined) {
    await dispatchRound(deps, ctx, ctx.status.round ?? 0);
    return;
  }
  const digest = trainingSpecDigest(ctx.spec);
  if (t.cancelRequestedAt || (t.specDigest !== undefined && t.specDigest !== digest)) {
    await restartRound(deps, ctx, t);
    return;
  }
  // Same training inputs: the round is as good as one trained from this generation.
  if (t.specDigest === digest) t.generation = ctx.generation ?? t.generation;
  const st = await deps.queue.getState(t.jobId);
  switch (st.state) {
    case 'missing':
      await dispatchRound(deps, ctx, t.round);
      return;
    case 'waiting':
      t.state = TRAINING_STATE.Queued;
      ctx.requeue(TRAINING_POLL_MS);
      return;
    case 'active': {
      t.state = TRAINING_STATE.Active;
      ctx.requeue(TRAINING_POLL_MS);
      // "Restarted from generation N as <this round>" says more than "running" until the round ends.
      const current = getCondition(ctx.status.conditions, CONDITION_TYPE.Training);
      if (current?.reason === REASON.TrainingRestarted && current.message?.includes(t.jobId)) return;
      ctx.condition({
        type: CONDITION_TYPE.Training,
        status: 'True',
        reason: REASON.TrainingRunning,
        message: `round ${t.round} running (${t.jobId})`,
        observedGeneration: t.generation,
      });
      return;
    }
    case 'failed': {
      t.failures = (t.failures ?? 0) + 1;
      t.message = st.failedReason ?? 'failed';
      ctx.event({
        type: 'Warning',
        reason: REASON.TrainingFailed,
        message: `Round ${t.round} failed (${t.failures}/${ctx.spec.runPolicy.backoffLimit + 1}): ${t.message}`,
      });
      if (t.failures > ctx.spec.runPolicy.backoffLimit) {
        t.state = TRAINING_STATE.Failed;
        ctx.condition({
          type: CONDITION_TYPE.Training,
          status: 'False',
          reason: REASON.TrainingFailed,
          message: t.message,
          observedGeneration: t.generation,
        });
        ctx.condition({
          type: CONDITION_TYPE.Failed,
          status: 'True',
          reason: REASON.BackoffLimitExceeded,
          message: `round ${t.round} failed ${t.failures} time(s): ${t.message}`,
        });
        ctx.status.completionTime = ctx.now.toISOString();
        ctx.phase(PHASE.Failed, 'backoffLimit exceeded', 'Warning');
        const jobId = t.jobId;
        ctx.afterStatus.push(() => deps.queue.remove(jobId));
        return;
      }
      await deps.queue.retry(t.jobId);
      t.attempts = (t.attempts ?? 1) + 1;
      t.state = TRAINING_STATE.Queued;
      ctx.requeue(TRAINING_POLL_MS);
      return;
    }
    case 'completed':
      t.state = TRAINING_STATE.Completed;
      t.message = undefined;
      ctx.result = st.result;
      ctx.condition({
        type: CONDITION_TYPE.Training,
        status: 'False',
        reason: REASON.TrainingSucceeded,
        message: `round ${t.round} trained ${st.result?.version ?? ''} from generation ${t.generation ?? 'unknown'}`,
        observedGeneration: t.generation,
      });
      ctx.phase(PHASE.Evaluating, `round ${t.round} trained`);
  }
}

/** Ends a round: Completed at maxRounds, else back to Serving. */
export function afterRound(ctx: ReconcileContext, why: string): void {
  if ((ctx.status.round ?? 0) >= ctx.spec.runPolicy.maxRounds) {
    ctx.status.completionTime = ctx.now.toISOString();
    ctx.event({
      type: 'Normal',
      reason: REASON.MaxRoundsReached,
      message: `Round ${ctx.status.round} of ${ctx.spec.runPolicy.maxRounds} done`,
    });
    ctx.phase(PHASE.Completed, `${why}; maxRounds reached`);
    return;
  }
  ctx.phase(PHASE.Serving, why);
}

/**
 * Evaluating: deploy only when `new <operator> baseline + minImprovement`; otherwise record the
 * round as Rejected with its metrics. The baseline is the deployed model evaluated in the same job.
 */
export async function evaluate(deps: ReconcilerDeps, ctx: ReconcileContext): Promise<void> {
  const t = ctx.status.training!;
  const result = ctx.result ?? (await deps.queue.getState(t.jobId!)).result;
  if (!result) {
    // The queue lost the result (Redis flushed): train the round again.
    ctx.phase(PHASE.Training, `result of ${t.jobId} is gone; retraining`, 'Warning');
    ctx.status.training = undefined;
    await dispatchRound(deps, ctx, t.round!);
    return;
  }
  // Recorded below; the queue's copy goes once the status holding it is stored.
  const jobId = t.jobId!;
  ctx.afterStatus.push(() => deps.queue.remove(jobId));
  const metric = ctx.spec.evaluation.metric;
  const current = ctx.status.currentModel;
  const baseline = current ? (result.baselineMetrics?.[metric] ?? current.metrics?.[metric] ?? null) : null;
  const decision = evaluateModel(ctx.spec.evaluation, result.metrics, baseline);
  ctx.status.models = recordModel(ctx.status.models, {
    version: result.version,
    round: t.round,
    uri: result.uri,
    sha256: result.sha256,
    metrics: result.metrics,
    baselineMetrics: result.baselineMetrics,
    trainSeconds: result.trainSeconds,
    labeledSamples: result.labeledSamples,
    createdAt: ctx.now.toISOString(),
    state: decision.accept ? MODEL_STATE.Deployed : MODEL_STATE.Rejected,
    reason: decision.message,
  });
  // The round trained on every sample labeled when it fetched its data, not only on those that
  // fired the trigger: the next round counts new samples from there.
  const samples = ctx.status.samples ?? {};
  const trainedOn = result.labeledSamples ?? 0;
  ctx.status.samples = {
    ...samples,
    labeled: Math.max(samples.labeled ?? 0, trainedOn),
    used: Math.max(samples.used ?? 0, trainedOn),
  };
  if (current && baseline !== null && current.metrics?.[metric] === undefined)
    current.metrics = { ...(current.metrics ?? {}), [metric]: baseline };
  if (!decision.accept) {
    ctx.event({
      type: 'Normal',
      reason: REASON.ModelRejected,
      message: `Model ${result.version} rejected: ${decision.message}`,
    });
    afterRound(ctx, `${result.version} rejected`);
    return;
  }
  ctx.event({
    type: 'Normal',
    reason: REASON.ModelAccepted,
    message: `Model ${result.version} accepted: ${decision.message}`,
  });
  const nodes = deps.registry.selectedNodes(ctx.key, ctx.spec.edge.nodeSelector, ctx.now.getTime());
  const step = startRollout(ctx.spec.rollout, nodes, result.version, current?.version ?? null, ctx.now);
  ctx.status.rollout = step.rollout;
  for (const e of step.events) ctx.event(e);
  ctx.phase(PHASE.Deploying, `${result.version} accepted`);
}
