import type { Dataset } from '../dataset/types.js';
import type { Box, Detection } from '../protocol/detection.js';

/** Hyperparameters as YAML gives them (a job's spec, an Ianvs config, `--hp`): a free map of scalars and lists. */
export type Hyperparameters = Record<string, unknown>;

// Box and Detection are wire types too (agent replies, sample records): lib/protocol defines them.
export type { Box, Detection };

/**
 * Ianvs `predict_dict`: image basename → one entry per class, boxes as
 * `[ymin, xmin, ymax, xmax, score]` in the frame where the short side is 640.
 */
export type PredictDict = Record<string, Array<{ name: string; bbox: number[][] }>>;

/** An image given by path, or by bytes with the name it should carry in a `predict_dict`. */
export type ImageSource = string | { name: string; data: Buffer };

/** Training progress, reported as it goes (also the BullMQ job progress payload). */
export interface TrainProgress {
  iteration: number;
  maxIteration: number;
  loss: number;
  /** Loss components, e.g. `rpn_cls`, `rpn_box`, `rcnn_cls`, `rcnn_box`. */
  lossParts: Record<string, number>;
  imagesPerSecond: number;
  etaSeconds: number;
}

export interface TrainOptions {
  /** Directory the algorithm may write checkpoints and temporary files into. */
  workDir: string;
  onProgress?: (progress: TrainProgress) => void;
  /** Called every `checkpointEvery` iterations with the checkpoint directory, so callers can persist it. */
  onCheckpoint?: (checkpointDir: string, iteration: number) => Promise<void> | void;
  checkpointEvery?: number;
  /** A checkpoint directory written by an earlier `onCheckpoint`, to resume from. */
  resumeFrom?: string;
  /** Aborting stops training after the current step; `train` then resolves with the last checkpoint. */
  signal?: AbortSignal;
}

export interface EvaluateOptions {
  /** Metric name: `f1_score` (Ianvs, default), `mAP50`, or `f1@<iou>`. */
  metric?: string;
}

/**
 * The algorithm interface, as Sedna's and Ianvs's BaseModel: train / save / predict / load / evaluate.
 * Implementations are registered in the ClassFactory and built with their hyperparameters.
 */
export interface BaseModel {
  /** Trains on `trainData` (validated on `validData` when given); returns the checkpoint directory. */
  train(trainData: Dataset, validData: Dataset | undefined, options: TrainOptions): Promise<string>;
  /** Writes the model as a `model.zip` at `path`; returns that path. */
  save(path: string): Promise<string>;
  /** Loads a `model.zip` written by `save`. */
  load(modelZip: string): Promise<void>;
  /** Ianvs `predict_dict` for the given images. */
  predict(images: ImageSource[]): Promise<PredictDict>;
  /** Detections in original image pixels with class names (the clean API). */
  detect(image: ImageSource): Promise<Detection[]>;
  /** Evaluates `modelZip` (or the loaded model when omitted) on `data`. */
  evaluate(
    data: Dataset,
    modelZip: string | undefined,
    options?: EvaluateOptions,
  ): Promise<Record<string, number>>;
  /** Frees tensors and workers. The model is unusable afterwards. */
  dispose(): Promise<void>;
}

/** How the ClassFactory builds a model: from its hyperparameters. */
export type BaseModelConstructor = new (hyperparameters?: Hyperparameters) => BaseModel;
