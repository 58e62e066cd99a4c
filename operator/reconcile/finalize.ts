import { FINALIZER, REASON } from '../../lib/api/v1alpha1/index.js';
import type { SingleTaskLearningJob } from '../../lib/api/v1alpha1/index.js';
import { jobArtifactPrefixes } from '../../lib/storage/layout.js';
import { specOf } from '../defaulted.js';
import { StorageCredentialsError } from '../job-storage.js';
import type { HandlerResult } from '../work-queue.js';
import { jobKey, refOf } from '../ports/job-store.js';
import { ROUND_CANCEL_POLL_MS, ROUND_CANCEL_TIMEOUT_MS, type ReconcilerDeps } from './context.js';

/**
 * Deletion: cancels the job's round (a running one is told to stop and is waited for, bounded, so
 * that nothing it writes lands after the clean-up), waits (bounded) until online agents have dropped
 * the job (the coordination API tells them to, as the job is being deleted), deletes the job's
 * artifacts only with `cleanupPolicy: Delete`, drops the round from the queue, then removes the
 * finalizer.
 */
export async function finalize(deps: ReconcilerDeps, job: SingleTaskLearningJob): Promise<HandlerResult> {
  if (!(job.metadata?.finalizers ?? []).includes(FINALIZER)) return {};
  const ref = refOf(job);
  const key = jobKey(ref);
  const now = deps.clock.now();
  const since = Date.parse(job.metadata?.deletionTimestamp ?? now.toISOString());
  const waited = now.getTime() - since;
  const training = job.status?.training;
  const jobId = training?.jobId;
  if (jobId) {
    const outcome = await deps.queue.cancel(jobId, 'job deleted');
    if (outcome === 'requested' && waited < ROUND_CANCEL_TIMEOUT_MS) {
      deps.log.info({ job: key, jobId }, 'Waiting for the cancelled training round to stop');
      return { requeueAfterMs: ROUND_CANCEL_POLL_MS };
    }
    if (outcome === 'requested')
      await deps.jobs.emitEvent(job, {
        type: 'Warning',
        reason: REASON.Deleting,
        message: `Round ${training?.round} did not stop within ${ROUND_CANCEL_TIMEOUT_MS / 1000}s of its cancellation; deleting anyway (its trainer removes what it writes once it sees the cancellation)`,
      });
    else deps.log.info({ job: key, jobId, outcome }, 'Training round cancelled or settled');
  }
  const reporting = deps.registry.nodesReporting(key, now.getTime());
  if (reporting.length > 0 && waited < deps.dropTimeoutMs) {
    deps.log.info({ job: key, nodes: reporting.length }, 'Waiting for agents to drop the job');
    return { requeueAfterMs: 1000 };
  }
  const spec = specOf(job);
  if (spec.cleanupPolicy === 'Delete') {
    try {
      const store = await deps.storage.forJob(job);
      let removed = 0;
      for (const prefix of jobArtifactPrefixes(ref.namespace, ref.name)) {
        const keys = (await store.list(spec.storage.bucket, prefix, { recursive: true })).map((o) => o.key);
        if (keys.length > 0) await store.removeObjects(spec.storage.bucket, keys);
        removed += keys.length;
      }
      deps.log.info({ job: key, removed }, 'Deleted job artifacts');
      await deps.jobs.emitEvent(job, {
        type: 'Normal',
        reason: REASON.Deleting,
        message: `Deleted ${removed} artifact object(s)`,
      });
    } catch (err) {
      if (!(err instanceof StorageCredentialsError)) throw err;
      // Without credentials nothing can be deleted; blocking deletion forever would be worse.
      await deps.jobs.emitEvent(job, {
        type: 'Warning',
        reason: REASON.Deleting,
        message: `Artifacts kept: ${err.message}`,
      });
    }
  } else {
    await deps.jobs.emitEvent(job, {
      type: 'Normal',
      reason: REASON.Deleting,
      message: 'Artifacts retained (cleanupPolicy Retain)',
    });
  }
  if (jobId) await deps.queue.remove(jobId);
  await deps.jobs.removeFinalizer(job, FINALIZER);
  deps.log.info({ job: key }, 'Removed finalizer');
  return {};
}
