import type { Hyperparameters } from '../algorithm-api/types.js';

/** Version of the `manifest.json` format inside `model.zip`. */
export const MODEL_MANIFEST_FORMAT = 1;

/** `manifest.json`: what a `model.zip` holds and where it came from. */
export interface ModelManifest {
  formatVersion: typeof MODEL_MANIFEST_FORMAT;
  /** ClassFactory alias of the algorithm that reads the checkpoint, e.g. `FPN`. */
  algorithm: string;
  classes: string[];
  /** Images are resized so that their short side is this many pixels. */
  inputShortSide: number;
  hyperparameters: Hyperparameters;
  /** Metrics on the test set, e.g. `{ f1_score, mAP50 }`. */
  metrics: Record<string, number>;
  /** Version this model was trained from (`v<round>`), or null for a model trained from scratch. */
  parentVersion: string | null;
  /** Own version, `v<round>`, when published by the trainer. */
  version?: string;
  createdAt: string;
  /** Free provenance: dataset sizes, training seconds, job, round. */
  training?: {
    trainImages?: number;
    labeledImages?: number;
    testImages?: number;
    trainSeconds?: number;
    iterations?: number;
    namespace?: string;
    job?: string;
    round?: number;
    /** Queue job id of the round that trained it (carries the job object's uid and generation). */
    trainingId?: string;
    /** The deployed model's metrics on the same test set when this one was trained (null: none deployed). */
    baselineMetrics?: Record<string, number> | null;
  };
  /** Files of the checkpoint, relative to the zip root (manifest excluded). */
  files: string[];
  /** Present when the package also carries the model as ONNX graphs (e.g. for ONNX Runtime at the edge). */
  onnx?: {
    /** ONNX files among `files`, e.g. `model.onnx`. */
    files: string[];
    /** The ai.onnx opset the graphs import. */
    opset: number;
  };
}
