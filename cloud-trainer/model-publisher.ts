import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MODEL_MANIFEST_FORMAT, type ModelManifest } from '../lib/model-package/manifest.js';
import {
  MANIFEST_ENTRY,
  readManifest,
  readModelPackage,
  sha256File,
  writeModelPackage,
} from '../lib/model-package/index.js';
import type { TrainingJobData, TrainingJobResult } from '../lib/queue/training-queue.js';
import { modelKey, scratchPrefix, SHA256_METADATA_KEY } from '../lib/storage/layout.js';
import type { ObjectStore } from '../lib/storage/object-store.js';
import { formatS3Uri } from '../lib/storage/s3-uri.js';
import type { RoundScope } from './checkpoint-store.js';

/** What the trainer knows about a round when it publishes. */
export interface PublishInput {
  data: TrainingJobData;
  metrics: Record<string, number>;
  baselineMetrics: Record<string, number> | null;
  sizes: { trainImages: number; labeledImages: number; testImages: number };
  trainSeconds: number;
  iterations: number;
}

/**
 * Publishes `models/<ns>/<job>/v<round>/model.zip` at most once per run. A version published by this
 * run is never replaced: `publish` first looks for it, uploads to a temp key under the round's
 * scratch prefix, looks again, and only then copies to the final key with the sha256 as object
 * metadata. A re-run of the same queue job gets the existing result back. A model another run left
 * at the key (a cancelled run, or a deleted job of the same name whose artifacts were retained) is
 * not this round's and is replaced.
 */
export class ModelPublisher {
  constructor(private readonly store: ObjectStore) {}

  /** The result of the round as this run published it, read back from its manifest; null when none. */
  async findPublished(scope: RoundScope, dir: string): Promise<TrainingJobResult | null> {
    const found = await this.readPublished(scope, dir);
    if (!found) return null;
    return found.manifest.training?.trainingId === scope.trainingId
      ? resultOf(scope, found.manifest, found.sha256)
      : null;
  }

  /** Removes the round's model if it is the one this run published (`sha256`); a cancelled run does. */
  async unpublish(scope: RoundScope, sha256: string, dir: string): Promise<boolean> {
    const found = await this.readPublished(scope, dir);
    if (!found || found.sha256 !== sha256 || found.manifest.training?.trainingId !== scope.trainingId)
      return false;
    await this.store.removeObjects(scope.bucket, [modelKey(scope.namespace, scope.job, scope.round)]);
    return true;
  }

  private async readPublished(
    scope: RoundScope,
    dir: string,
  ): Promise<{ manifest: ModelManifest; sha256: string } | null> {
    const key = modelKey(scope.namespace, scope.job, scope.round);
    const info = await this.store.stat(scope.bucket, key);
    if (!info) return null;
    const zip = join(dir, `published-${randomUUID().slice(0, 8)}.zip`);
    await this.store.getFile(scope.bucket, key, zip);
    const manifest = await readManifest(zip);
    const sha256 = info.metadata[SHA256_METADATA_KEY] ?? (await sha256File(zip));
    return { manifest, sha256 };
  }

  /** Repacks the trained zip with the round's manifest and publishes it (or returns the winner's). */
  async publish(
    scope: RoundScope,
    trainedZip: string,
    dir: string,
    input: PublishInput,
  ): Promise<TrainingJobResult> {
    const unpacked = join(dir, 'publish');
    const { manifest: trained } = await readModelPackage(trainedZip, unpacked);
    await rm(join(unpacked, MANIFEST_ENTRY));
    const zip = join(dir, 'model.zip');
    const { manifest, sha256 } = await writeModelPackage({
      dir: unpacked,
      manifest: roundManifest(trained, input, scope.trainingId),
      out: zip,
    });
    const temp = `${scratchPrefix(scope.namespace, scope.job, scope.round)}publish-${randomUUID()}.zip`;
    await this.store.putFile(scope.bucket, temp, zip, {
      contentType: 'application/zip',
      metadata: { [SHA256_METADATA_KEY]: sha256 },
    });
    try {
      // Another worker may have finished the same run meanwhile (a false stall): keep its version.
      const winner = await this.findPublished(scope, dir);
      if (winner) return winner;
      await this.store.copyObject(scope.bucket, temp, modelKey(scope.namespace, scope.job, scope.round), {
        contentType: 'application/zip',
        metadata: { [SHA256_METADATA_KEY]: sha256 },
      });
    } finally {
      await this.store.removeObjects(scope.bucket, [temp]).catch(() => undefined);
    }
    return resultOf(scope, manifest, sha256);
  }
}

function roundManifest(trained: ModelManifest, input: PublishInput, trainingId: string): ModelManifest {
  const { data } = input;
  return {
    ...trained,
    formatVersion: MODEL_MANIFEST_FORMAT,
    algorithm: data.algorithm.name,
    classes: trained.classes.length > 0 ? trained.classes : data.dataset.classes,
    hyperparameters: data.algorithm.hyperparameters,
    metrics: input.metrics,
    parentVersion: data.baseModel?.version ?? null,
    version: `v${data.round}`,
    createdAt: new Date().toISOString(),
    training: {
      ...input.sizes,
      trainSeconds: Math.round(input.trainSeconds * 1000) / 1000,
      iterations: input.iterations,
      namespace: data.namespace,
      job: data.job,
      round: data.round,
      trainingId,
      baselineMetrics: input.baselineMetrics,
    },
  };
}

function resultOf(scope: RoundScope, manifest: ModelManifest, sha256: string): TrainingJobResult {
  return {
    version: manifest.version ?? `v${scope.round}`,
    uri: formatS3Uri(scope.bucket, modelKey(scope.namespace, scope.job, scope.round)),
    sha256,
    metrics: manifest.metrics,
    baselineMetrics: manifest.training?.baselineMetrics ?? null,
    trainSeconds: manifest.training?.trainSeconds ?? 0,
    labeledSamples: manifest.training?.labeledImages ?? 0,
  };
}
