import { createHash } from 'node:crypto';
import { MODEL_STATE, PHASE, REASON, ROLLOUT_PHASE, modelVersion } from '../../lib/api/v1alpha1/index.js';
import type { ObjectStore } from '../../lib/storage/object-store.js';
import { SHA256_METADATA_KEY } from '../../lib/storage/layout.js';
import { parseS3Uri } from '../../lib/storage/s3-uri.js';
import { StorageCredentialsError } from '../job-storage.js';
import { recordModel } from '../state-machine/model-history.js';
import type { ReconcileContext, ReconcilerDeps } from './context.js';
import { dispatchRound } from './training.js';

/** The store of a job, or null after marking the job blocked on its Secret. */
export async function jobObjectStore(
  deps: ReconcilerDeps,
  ctx: ReconcileContext,
): Promise<ObjectStore | null> {
  try {
    return await deps.storage.forJob(ctx.job);
  } catch (err) {
    if (!(err instanceof StorageCredentialsError)) throw err;
    deps.storage.invalidate(ctx.job);
    ctx.missing(REASON.SecretNotFound, err.message);
    return null;
  }
}

async function sha256Of(store: ObjectStore, bucket: string, key: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await store.getObject(bucket, key)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Initializing: the Secret, the bucket and the dataset must exist (else Ready=False with the
 * reason, re-checked later); then either adopt `initialModel` as v0 or train round 0.
 */
export async function initialize(deps: ReconcilerDeps, ctx: ReconcileContext): Promise<void> {
  const store = await jobObjectStore(deps, ctx);
  if (!store) return;
  const { bucket } = ctx.spec.storage;
  if (!(await store.bucketExists(bucket))) {
    ctx.missing(REASON.BucketNotFound, `bucket ${bucket} does not exist`);
    return;
  }
  for (const uri of [ctx.spec.dataset.trainIndex, ctx.spec.dataset.testIndex]) {
    const loc = parseS3Uri(uri);
    if (!(await store.stat(loc.bucket, loc.key))) {
      ctx.missing(REASON.DatasetNotFound, `${uri} does not exist`);
      return;
    }
  }
  if (!ctx.spec.initialModel) {
    await dispatchRound(deps, ctx, 0);
    return;
  }
  const loc = parseS3Uri(ctx.spec.initialModel);
  const info = await store.stat(loc.bucket, loc.key);
  if (!info) {
    ctx.missing(REASON.InitialModelNotFound, `${ctx.spec.initialModel} does not exist`);
    return;
  }
  const sha256 = info.metadata[SHA256_METADATA_KEY] ?? (await sha256Of(store, loc.bucket, loc.key));
  const version = modelVersion(0);
  const now = ctx.now.toISOString();
  ctx.status.round = 0;
  ctx.status.models = recordModel(ctx.status.models, {
    version,
    round: 0,
    uri: ctx.spec.initialModel,
    sha256,
    state: MODEL_STATE.Deployed,
    reason: 'initialModel',
    createdAt: now,
  });
  ctx.status.currentModel = { version, uri: ctx.spec.initialModel, sha256, deployedAt: now };
  ctx.status.rollout = {
    targetVersion: version,
    previousVersion: null,
    phase: ROLLOUT_PHASE.Completed,
    startedAt: now,
    message: 'initial model',
  };
  ctx.phase(PHASE.Serving, `initial model ${ctx.spec.initialModel} deployed as ${version}`);
}
