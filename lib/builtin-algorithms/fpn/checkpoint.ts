import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { EdgeStlError } from '../../errors/index.js';
import type { FpnConfig } from './config.js';

/** Format tag of `model.json` in an FPN checkpoint directory. */
export const CHECKPOINT_FORMAT = 'edge-stl-fpn/1';

/** Files of a checkpoint directory (relative names). */
export const CHECKPOINT_FILES = ['model.json', 'weights.bin'] as const;
export const OPTIMIZER_FILE = 'optimizer.bin';

/** `model.json` of a checkpoint: everything needed to rebuild the net, plus the weight layout. */
export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  algorithm: 'FPN';
  config: FpnConfig;
  hyperparameters: Record<string, unknown>;
  classes: string[];
  iteration: number;
  weightSpecs: tf.io.WeightsManifestEntry[];
  optimizerSpecs?: tf.io.WeightsManifestEntry[];
  /** Metrics from validation, when training had a validation set. */
  metrics?: Record<string, number>;
  trainSeconds?: number;
}

/** A checkpoint that cannot be read: missing files, wrong format, mismatched weights. */
export class CheckpointError extends EdgeStlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BAD_CHECKPOINT', message, options);
  }
}

function toBuffer(data: ArrayBuffer): Buffer {
  return Buffer.from(new Uint8Array(data));
}

/** Writes weights (and optionally optimizer slots) with tf.io's encoder: no tfjs-node needed. */
export async function writeCheckpoint(
  dir: string,
  meta: Omit<CheckpointMeta, 'format' | 'algorithm' | 'weightSpecs' | 'optimizerSpecs'>,
  weights: tf.NamedTensorMap,
  optimizer?: Array<{ name: string; tensor: tf.Tensor }>,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const enc = await tf.io.encodeWeights(weights);
  const full: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    algorithm: 'FPN',
    ...meta,
    weightSpecs: enc.specs,
  };
  await writeFile(join(dir, 'weights.bin'), toBuffer(enc.data));
  if (optimizer) {
    const opt = await tf.io.encodeWeights(optimizer);
    full.optimizerSpecs = opt.specs;
    await writeFile(join(dir, OPTIMIZER_FILE), toBuffer(opt.data));
  }
  await writeFile(join(dir, 'model.json'), JSON.stringify(full, null, 1));
  return dir;
}

function arrayBufferOf(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

/** Reads `model.json`, the weights and (when present and asked for) the optimizer slots. */
export async function readCheckpoint(
  dir: string,
  withOptimizer = false,
): Promise<{ meta: CheckpointMeta; weights: tf.NamedTensorMap; optimizer?: tf.NamedTensorMap }> {
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as CheckpointMeta;
  } catch (err) {
    throw new CheckpointError(`${dir} is not an FPN checkpoint (model.json missing or invalid)`, {
      cause: err,
    });
  }
  if (meta.format !== CHECKPOINT_FORMAT)
    throw new CheckpointError(`${dir}: unsupported checkpoint format "${meta.format}"`);
  const weights = tf.io.decodeWeights(
    arrayBufferOf(await readFile(join(dir, 'weights.bin'))),
    meta.weightSpecs,
  );
  let optimizer: tf.NamedTensorMap | undefined;
  if (withOptimizer && meta.optimizerSpecs) {
    optimizer = tf.io.decodeWeights(
      arrayBufferOf(await readFile(join(dir, OPTIMIZER_FILE))),
      meta.optimizerSpecs,
    );
  }
  return { meta, weights, optimizer };
}
