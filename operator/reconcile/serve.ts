import { CONDITION_TYPE, REASON } from '../../lib/api/v1alpha1/index.js';
import { labeledIndexKey } from '../../lib/storage/layout.js';
import { findDeployable } from '../state-machine/model-history.js';
import { evaluateTrigger } from '../state-machine/triggers.js';
import type { ReconcileContext, ReconcilerDeps } from './context.js';
import { startPinnedRollout } from './deploy.js';
import { jobObjectStore } from './initialize.js';
import { afterRound, dispatchRound } from './training.js';

/** Lines of the labeled index (0 when it does not exist yet). */
async function countLabeled(deps: ReconcilerDeps, ctx: ReconcileContext): Promise<number | null> {
  const store = await jobObjectStore(deps, ctx);
  if (!store) return null;
  const key = labeledIndexKey(ctx.ref.namespace, ctx.ref.name);
  if (!(await store.stat(ctx.spec.storage.bucket, key))) return 0;
  const text = (await store.getBuffer(ctx.spec.storage.bucket, key)).toString('utf8');
  return text.split('\n').filter((l) => l.trim() !== '').length;
}

/**
 * Serving: honours `pinVersion`, then checks the triggers (new labeled samples since the last
 * round, daily window) and starts the next round, or asks to be woken at the next check.
 */
export async function serve(deps: ReconcilerDeps, ctx: ReconcileContext): Promise<void> {
  const period = ctx.spec.trigger.checkPeriodSeconds * 1000;
  const pin = ctx.spec.rollout.pinVersion;
  if (pin) {
    if (ctx.status.currentModel?.version === pin) {
      ctx.blocked = {
        type: CONDITION_TYPE.Ready,
        status: 'True',
        reason: REASON.ModelPinned,
        message: `pinned to ${pin}; no new rounds`,
      };
      ctx.requeue(period);
      return;
    }
    if (!findDeployable(ctx.status.models, pin)) {
      ctx.blocked = {
        type: CONDITION_TYPE.Ready,
        status: 'False',
        reason: REASON.ModelPinned,
        message: `pinVersion ${pin} is not a published version of this job`,
      };
      ctx.requeue(period);
      return;
    }
    startPinnedRollout(ctx, pin);
    return;
  }
  // Counted before the maxRounds check too, so that a finished job's status is current.
  const labeled = await countLabeled(deps, ctx);
  const used = ctx.status.samples?.used ?? 0;
  if (labeled !== null) ctx.status.samples = { ...(ctx.status.samples ?? {}), labeled, used };
  if ((ctx.status.round ?? 0) >= ctx.spec.runPolicy.maxRounds) {
    afterRound(ctx, 'all rounds done');
    return;
  }
  if (labeled === null) return;
  const decision = evaluateTrigger(ctx.spec.trigger, labeled, used, ctx.now);
  if (!decision.fire) {
    ctx.blocked = {
      type: CONDITION_TYPE.Ready,
      status: ctx.status.currentModel ? 'True' : 'False',
      reason: decision.reason,
      message: decision.message,
    };
    ctx.requeue(decision.requeueAfterMs);
    return;
  }
  ctx.status.samples = { ...ctx.status.samples, labeled, used: labeled };
  await dispatchRound(deps, ctx, (ctx.status.round ?? 0) + 1);
}
