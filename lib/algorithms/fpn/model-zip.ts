import type { Hyperparameters } from '../../algorithm/types.js';
import { MODEL_MANIFEST_FORMAT, type ModelManifest } from '../../model-package/manifest.js';
import { readModelPackage, writeModelPackage } from '../../model-package/index.js';

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
