import {
  API_VERSION,
  CONDITION_TYPE,
  FINALIZER,
  KIND,
  PHASE,
  REASON,
  TERMINAL_PHASES,
  setCondition,
} from '../lib/api/v1alpha1/index.js';
import type { Phase } from '../lib/api/v1alpha1/index.js';
import { validateJob } from '../lib/validation/index.js';
import { specOf } from './defaulted.js';
import { mergeDiff, toJson } from './merge-diff.js';
import { JobConflictError, StatusRejectedError, jobKey, parseJobKey } from './ports/job-store.js';
import {
  EDGE_REFRESH_MS,
  PREREQ_RETRY_MS,
  ReconcileContext,
  type ReconcilerDeps,
} from './reconcile/context.js';
import { deploy } from './reconcile/deploy.js';
import { finalize } from './reconcile/finalize.js';
import { initialize } from './reconcile/initialize.js';
import { serve } from './reconcile/serve.js';
import { evaluate, observeTraining } from './reconcile/training.js';
import {
  buildEdgeNodes,
  edgeSyncedCondition,
  modelDeployedCondition,
  readyCondition,
  uploadedSamples,
} from './state-machine/edge-status.js';
import type { HandlerResult } from './work-queue.js';

type Handler = (deps: ReconcilerDeps, ctx: ReconcileContext) => Promise<void>;

/** How soon a key that arrived before the job cache was listed is looked at again. */
const UNSYNCED_RETRY_MS = 1000;

const HANDLERS: Partial<Record<Phase, Handler>> = {
  [PHASE.Initializing]: initialize,
  [PHASE.Training]: observeTraining,
  [PHASE.Evaluating]: evaluate,
  [PHASE.Deploying]: deploy,
  [PHASE.Serving]: serve,
};

/**
 * Reconciles one SingleTaskLearningJob, controller-runtime style: fetch; gone → return; ensure the
 * finalizer; being deleted → clean up; otherwise run the phase handlers (which may chain, e.g.
 * Training → Evaluating → Deploying in one pass), rebuild the edge view and conditions, write one
 * status patch, emit Events, and ask for a requeue when time matters.
 */
export class Reconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  async reconcile(key: string): Promise<HandlerResult> {
    // Before the first list the cache is empty, not authoritative: "not found" would mean nothing.
    if (!this.deps.jobs.synced()) return { requeueAfterMs: UNSYNCED_RETRY_MS };
    const ref = parseJobKey(key);
    let job = await this.deps.jobs.get(ref);
    if (!job) return {};
    if (job.metadata?.deletionTimestamp) return finalize(this.deps, job);
    if (!(job.metadata?.finalizers ?? []).includes(FINALIZER))
      job = await this.deps.jobs.addFinalizer(job, FINALIZER);

    const validation = validateJob({ apiVersion: API_VERSION, kind: KIND, ...job });
    if (!validation.valid) {
      const ctx = new ReconcileContext(job, ref, key, undefined as never, this.deps.clock.now());
      this.invalid(ctx, validation.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
      return this.finish(ctx);
    }
    const ctx = new ReconcileContext(job, ref, key, specOf(job), this.deps.clock.now());
    // After a restart or failover, the nodes the status lists stay known until they heartbeat.
    this.deps.registry.restore(key, job.status?.edgeNodes ?? [], ctx.now.getTime());
    ctx.condition({
      type: CONDITION_TYPE.InvalidSpec,
      status: 'False',
      reason: REASON.SpecValid,
      message: 'spec is valid',
    });
    await this.step(ctx);
    this.score(ctx);
    this.observeEdge(ctx);
    this.conditions(ctx);
    return this.finish(ctx);
  }

  private invalid(ctx: ReconcileContext, message: string): void {
    const was = ctx.status.conditions?.find((c) => c.type === CONDITION_TYPE.InvalidSpec)?.status === 'True';
    ctx.condition({ type: CONDITION_TYPE.InvalidSpec, status: 'True', reason: REASON.SpecInvalid, message });
    ctx.condition({
      type: CONDITION_TYPE.Ready,
      status: 'False',
      reason: REASON.SpecInvalid,
      message: 'fix the spec',
    });
    ctx.status.phase ??= PHASE.Pending;
    if (!was) ctx.event({ type: 'Warning', reason: REASON.SpecInvalid, message });
    // No requeue: the next edit of the spec wakes the reconciler.
  }

  private async step(ctx: ReconcileContext): Promise<void> {
    const { status, spec } = ctx;
    if (!status.phase) {
      status.startTime = ctx.now.toISOString();
      ctx.phase(PHASE.Pending, 'job created');
    }
    if (TERMINAL_PHASES.includes(status.phase!)) return;
    const deadline = spec.runPolicy.activeDeadlineSeconds;
    const left =
      deadline && status.startTime
        ? deadline * 1000 - (ctx.now.getTime() - Date.parse(status.startTime))
        : undefined;
    if (left !== undefined && left <= 0) {
      ctx.condition({
        type: CONDITION_TYPE.Failed,
        status: 'True',
        reason: REASON.DeadlineExceeded,
        message: `running longer than ${deadline}s`,
      });
      status.completionTime = ctx.now.toISOString();
      ctx.phase(PHASE.Failed, 'activeDeadlineSeconds exceeded', 'Warning');
      return;
    }
    // The deadline's own wake-up: other requeues may be far later (a missing Secret, a long round).
    if (left !== undefined) ctx.requeue(left);
    if (spec.runPolicy.suspend) {
      ctx.phase(PHASE.Suspended, 'spec.runPolicy.suspend is true');
      return;
    }
    if (status.phase === PHASE.Suspended) ctx.phase(this.resumePhase(ctx), 'resumed');
    if (status.phase === PHASE.Pending) ctx.phase(PHASE.Initializing, 'checking prerequisites');
    // Handlers may move the job on; follow a few transitions within one reconcile.
    for (let i = 0; i < 6; i++) {
      const phase = status.phase!;
      const handler = HANDLERS[phase];
      if (!handler) return;
      await handler(this.deps, ctx);
      if (status.phase === phase || ctx.blocked?.status === 'False') return;
    }
  }

  private resumePhase(ctx: ReconcileContext): Phase {
    const t = ctx.status.training;
    if (t && (t.state === 'Queued' || t.state === 'Active')) return PHASE.Training;
    if (
      ctx.status.rollout &&
      (ctx.status.rollout.phase === 'Canary' || ctx.status.rollout.phase === 'Promoted')
    )
      return PHASE.Deploying;
    return ctx.status.currentModel ? PHASE.Serving : PHASE.Initializing;
  }

  /** currentModel.score follows spec.evaluation.metric (the Score printer column). */
  private score(ctx: ReconcileContext): void {
    const model = ctx.status.currentModel;
    if (!model) return;
    const value = model.metrics?.[ctx.spec.evaluation.metric];
    if (value === undefined) delete model.score;
    else model.score = value;
  }

  /** status.edgeNodes, EdgeSynced and samples.uploaded from the heartbeats of the selected nodes. */
  private observeEdge(ctx: ReconcileContext): void {
    const nodes = this.deps.registry.selectedNodes(ctx.key, ctx.spec.edge.nodeSelector, ctx.now.getTime());
    ctx.status.edgeNodes = buildEdgeNodes(ctx.status, nodes);
    ctx.condition(edgeSyncedCondition(ctx.status.edgeNodes));
    ctx.status.samples = { ...(ctx.status.samples ?? {}), uploaded: uploadedSamples(ctx.status.edgeNodes) };
    if (nodes.length > 0 && !TERMINAL_PHASES.includes(ctx.status.phase!))
      ctx.requeue(EDGE_REFRESH_MS * (0.75 + Math.random() / 2)); // jittered: jobs created together must not refresh in one burst
  }

  /** ModelDeployed and Ready, summarised from the phase, the current model and the edge. */
  private conditions(ctx: ReconcileContext): void {
    const deployed = modelDeployedCondition(ctx.status);
    if (deployed) ctx.condition(deployed);
    ctx.condition(readyCondition(ctx.status, ctx.blocked));
  }

  private async finish(ctx: ReconcileContext): Promise<HandlerResult> {
    ctx.status.observedGeneration = ctx.generation;
    const next = toJson(ctx.status);
    if (mergeDiff(toJson(ctx.job.status ?? {}), next) !== undefined) {
      try {
        await this.deps.jobs.patchStatus(ctx.job, next);
      } catch (err) {
        if (err instanceof JobConflictError) {
          // controller-runtime's answer to a conflict: requeue and recompute from the fresh job.
          this.deps.log.debug({ job: jobKey(ctx.ref) }, 'Status conflict; recomputing from the fresh job');
          return { requeueAfterMs: 0 };
        }
        if (err instanceof StatusRejectedError) return this.statusRejected(ctx, err);
        throw err;
      }
      this.deps.log.debug({ job: jobKey(ctx.ref), phase: next.phase }, 'Patched status');
    }
    for (const e of ctx.events) await this.deps.jobs.emitEvent(ctx.job, e);
    for (const work of ctx.afterStatus)
      await work().catch((err: unknown) =>
        this.deps.log.warn({ job: jobKey(ctx.ref), err: (err as Error).message }, 'Post-status work failed'),
      );
    return ctx.requeueAfterMs === undefined ? {} : { requeueAfterMs: ctx.requeueAfterMs };
  }

  /**
   * The API server found the computed status invalid (422): a bug or a CRD older than the operator,
   * which retrying cannot fix. The stored status stays, with Ready=False saying why, and a Warning.
   */
  private async statusRejected(ctx: ReconcileContext, err: StatusRejectedError): Promise<HandlerResult> {
    const message = `the API server rejected the status: ${err.message}`;
    this.deps.log.warn({ job: jobKey(ctx.ref), err: err.message }, 'Status rejected');
    const stored = toJson(ctx.job.status ?? {});
    const conditions = setCondition(
      stored.conditions,
      { type: CONDITION_TYPE.Ready, status: 'False', reason: REASON.StatusRejected, message },
      ctx.generation,
      ctx.now,
    );
    await this.deps.jobs.patchStatus(ctx.job, { ...stored, conditions });
    await this.deps.jobs.emitEvent(ctx.job, { type: 'Warning', reason: REASON.StatusRejected, message });
    return { requeueAfterMs: PREREQ_RETRY_MS };
  }
}
