import { CONDITION_TYPE, MODEL_STATE, PHASE, REASON, ROLLOUT_PHASE } from '../../lib/api/v1alpha1/index.js';
import { markModel } from '../state-machine/model-history.js';
import { advanceRollout } from '../state-machine/rollout.js';
import type { ReconcileContext, ReconcilerDeps } from './context.js';
import { afterRound } from './training.js';

/**
 * Deploying: moves the rollout along from what the agents report. Completed makes the target the
 * current model (the previous one is Superseded); a rollback keeps the current model and marks
 * the target RolledBack, with a condition and a Warning event.
 */
export async function deploy(deps: ReconcilerDeps, ctx: ReconcileContext): Promise<void> {
  const rollout = ctx.status.rollout;
  if (
    !rollout?.targetVersion ||
    rollout.phase === ROLLOUT_PHASE.Completed ||
    rollout.phase === ROLLOUT_PHASE.RolledBack
  ) {
    afterRound(ctx, 'no rollout in progress');
    return;
  }
  const nodes = deps.registry.selectedNodes(ctx.key, ctx.spec.edge.nodeSelector, ctx.now.getTime());
  const step = advanceRollout(ctx.spec.rollout, rollout, nodes, ctx.now);
  ctx.status.rollout = step.rollout;
  for (const e of step.events) ctx.event(e);
  const target = rollout.targetVersion;
  if (step.outcome === 'completed') {
    const record = ctx.status.models?.find((m) => m.version === target);
    const previous = ctx.status.currentModel?.version;
    if (record?.uri && record.sha256) {
      ctx.status.currentModel = {
        version: target,
        uri: record.uri,
        sha256: record.sha256,
        metrics: record.metrics ?? {},
        deployedAt: ctx.now.toISOString(),
      };
      ctx.status.models = markModel(ctx.status.models, target, MODEL_STATE.Deployed);
      if (previous && previous !== target)
        ctx.status.models = markModel(ctx.status.models, previous, MODEL_STATE.Superseded);
    }
    // ModelDeployed is counted on the edge by the reconciler, from this reconcile's status.edgeNodes.
    afterRound(ctx, `${target} deployed`);
    return;
  }
  if (step.outcome === 'rolledBack') {
    ctx.status.models = markModel(ctx.status.models, target, MODEL_STATE.RolledBack, step.rollout.message);
    ctx.condition({
      type: CONDITION_TYPE.ModelDeployed,
      status: 'False',
      reason: REASON.RolledBack,
      message: step.rollout.message ?? `${target} rolled back`,
    });
    afterRound(ctx, `${target} rolled back`);
    return;
  }
  ctx.requeue(step.requeueAfterMs);
}

/** Marks the rollout of a pinned version (a manual rollback or roll-forward). */
export function startPinnedRollout(ctx: ReconcileContext, version: string): void {
  ctx.status.rollout = {
    targetVersion: version,
    previousVersion: ctx.status.currentModel?.version ?? null,
    phase: ROLLOUT_PHASE.Promoted,
    canaryNodes: [],
    startedAt: ctx.now.toISOString(),
    message: `pinned to ${version}`,
  };
  ctx.event({
    type: 'Normal',
    reason: REASON.ModelPinned,
    message: `spec.rollout.pinVersion: every node goes to ${version}`,
  });
  ctx.phase(PHASE.Deploying, `pinned to ${version}`);
}
