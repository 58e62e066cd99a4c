import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Hyperparameters } from '../../algorithm-api/types.js';
import { MODEL_MANIFEST_FORMAT, type ModelManifest } from '../../model-package/manifest.js';
import { MANIFEST_ENTRY, readModelPackage, writeModelPackage } from '../../model-package/index.js';

/** What `save` knows about a model besides its checkpoint files. */
export interface PackInfo {
  classes: string[];
  inputShortSide: number;
  hyperparameters: Hyperparameters;
  metrics: Record<string, number>;
  parentVersion: string | null;
  training: ModelManifest['training'];
  /** ONNX graphs written beside the checkpoint, if any. */
  onnx?: ModelManifest['onnx'];
}

/** Zips a checkpoint directory (model.json + weights.bin) with its manifest into `out`. */
export async function packModel(dir: string, out: string, info: PackInfo): Promise<void> {
  const manifest: Omit<ModelManifest, 'files'> = {
    formatVersion: MODEL_MANIFEST_FORMAT,
    algorithm: 'FPN',
    classes: info.classes,
    inputShortSide: info.inputShortSide,
    hyperparameters: info.hyperparameters,
    metrics: info.metrics,
    parentVersion: info.parentVersion,
    createdAt: new Date().toISOString(),
    training: info.training,
    ...(info.onnx ? { onnx: info.onnx } : {}),
  };
  await writeModelPackage({ dir, manifest, out });
}

/** Extracts `model.zip` into `dir` (safely, through the model package) and returns its manifest. */
export async function unpackModel(zip: string, dir: string): Promise<ModelManifest> {
  return (await readModelPackage(zip, dir)).manifest;
}

/**
 * Writes a copy of `zip` without its ONNX graphs (a TF.js-only package, as models published
 * before the export were): the fallback path of benches and tests. `scratch` is an empty work dir.
 */
export async function packWithoutOnnx(zip: string, out: string, scratch: string): Promise<string> {
  const { files, onnx, ...manifest } = await unpackModel(zip, scratch);
  await Promise.all(
    [MANIFEST_ENTRY, ...(onnx?.files ?? [])].map((f) => rm(join(scratch, f), { force: true })),
  );
  void files;
  await writeModelPackage({ dir: scratch, manifest, out });
  return out;
}
