import { modelFor } from '../lib/algorithm-api/index.js';
import type { Dataset } from '../lib/dataset/types.js';
import { readManifest, sha256File } from '../lib/model-package/index.js';
import type { ModelRef } from '../lib/queue/training-queue.js';
import { parseS3Uri } from '../lib/storage/s3-uri.js';
import type { ObjectStore } from '../lib/storage/object-store.js';
import { join } from 'node:path';
import { TrainingInputError } from './training-input-error.js';

/**
 * Downloads a published model to `target` and checks it against the sha256 of its reference. A
 * missing model or a mismatch is a {@link TrainingInputError}: retrying cannot fix either.
 */
export async function fetchVerifiedModel(store: ObjectStore, ref: ModelRef, target: string): Promise<string> {
  const { bucket, key } = parseS3Uri(ref.uri);
  if (!(await store.stat(bucket, key)))
    throw new TrainingInputError(`model ${ref.version} not found at ${ref.uri}`);
  await store.getFile(bucket, key, target);
  const actual = await sha256File(target);
  if (actual !== ref.sha256) {
    throw new TrainingInputError(
      `model ${ref.version} at ${ref.uri} has sha256 ${actual}, expected ${ref.sha256}`,
    );
  }
  return target;
}

/**
 * Evaluates the deployed model on the round's test set with the round's metric, built through the
 * ClassFactory alias its manifest names, so that the new model is compared on equal terms.
 */
export async function evaluateBaseline(
  store: ObjectStore,
  deployed: ModelRef,
  test: Dataset,
  metric: string,
  dir: string,
): Promise<Record<string, number>> {
  const zip = await fetchVerifiedModel(store, deployed, join(dir, 'deployed.zip'));
  const manifest = await readManifest(zip);
  const model = await modelFor(manifest).catch((err: unknown) => {
    // As for a round's own algorithm: retrying cannot make the deployed one buildable.
    throw new TrainingInputError(
      `deployed model ${deployed.version} (${manifest.algorithm}) cannot be built: ${(err as Error).message}`,
      { cause: err },
    );
  });
  try {
    return await model.evaluate(test, zip, { metric });
  } finally {
    await model.dispose();
  }
}
