import { readManifest, type ModelManifest } from '../model-package/index.js';
import { ClassFactory } from './class-factory.js';
import { ClassType } from './class-type.js';
import type { BaseModel, BaseModelConstructor, Hyperparameters } from './types.js';

/** The class behind an algorithm alias (a manifest's `algorithm`). */
export type AlgorithmResolver = (alias: string) => BaseModelConstructor | Promise<BaseModelConstructor>;

/** The class registered in the ClassFactory as `ClassType.GENERAL` under `alias`. */
export const registeredAlgorithm: AlgorithmResolver = (alias) =>
  ClassFactory.get<BaseModelConstructor>(ClassType.GENERAL, alias);

export interface OpenModelOptions {
  /** Inference-time hyperparameters over the manifest's own (e.g. `score_threshold`). */
  overrides?: Hyperparameters;
  /** Default: {@link registeredAlgorithm}. */
  resolveAlgorithm?: AlgorithmResolver;
  /** The zip's manifest when the caller has read it already. */
  manifest?: ModelManifest;
}

/**
 * The manifest's algorithm built with the manifest's hyperparameters and `overrides`, not loaded:
 * for `evaluate(test, zip)`, which loads the zip itself.
 */
export async function modelFor(
  manifest: Pick<ModelManifest, 'algorithm' | 'hyperparameters'>,
  options: Pick<OpenModelOptions, 'overrides' | 'resolveAlgorithm'> = {},
): Promise<BaseModel> {
  const Model = await (options.resolveAlgorithm ?? registeredAlgorithm)(manifest.algorithm);
  return new Model({ ...manifest.hyperparameters, ...options.overrides });
}

/** Opens a `model.zip` into a ready model: built as {@link modelFor} does, then loaded. */
export async function openModel(zip: string, options: OpenModelOptions = {}): Promise<BaseModel> {
  const manifest = options.manifest ?? (await readManifest(zip));
  const model = await modelFor(manifest, options);
  try {
    await model.load(zip);
  } catch (err) {
    await model.dispose().catch(() => {});
    throw err;
  }
  return model;
}
