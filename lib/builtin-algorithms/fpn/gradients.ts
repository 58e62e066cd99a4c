import * as tf from '@tensorflow/tfjs-core';
import type { TrainBatch } from './batch-maker.js';
import type { FpnDetector } from './detector.js';
import type { ParamStore } from './params.js';

/** Loss parts in a fixed order (also the order they travel between threads). */
export const LOSS_PARTS = ['rpn_cls', 'rpn_box', 'rcnn_cls', 'rcnn_box'] as const;

/** Gradients of one batch, keyed by ParamStore name, with the loss. The caller disposes `grads`. */
export interface BatchGradients {
  grads: Record<string, tf.Tensor>;
  loss: number;
  parts: number[];
}

/** Loss and gradients of the detector on one batch. Only the returned gradients stay allocated. */
export function batchGradients(
  detector: FpnDetector,
  params: ParamStore,
  batch: TrainBatch,
  rng: () => number,
): BatchGradients {
  const x = tf.tensor4d(batch.input, [batch.n, batch.size, batch.size, 3]);
  let partsT: tf.Tensor | undefined;
  const vars = [...params.vars.values()];
  const { value, grads } = tf.variableGrads(() => {
    const l = detector.loss(x, batch.gts, rng, batch.rpn);
    partsT = tf.keep(tf.stack(LOSS_PARTS.map((k) => l.parts[k])));
    return l.total;
  }, vars);
  try {
    const byName: Record<string, tf.Tensor> = {};
    for (const [name, v] of params.vars) byName[name] = grads[v.name] ?? tf.zerosLike(v);
    return { grads: byName, loss: value.dataSync()[0], parts: Array.from(partsT!.dataSync()) };
  } finally {
    tf.dispose([x, value, partsT!]);
  }
}

/** All weights (or gradients), in ParamStore order, as one flat array: what crosses threads. */
export function packTensors(params: ParamStore, values: Record<string, tf.Tensor>): Float32Array {
  let total = 0;
  for (const v of params.vars.values()) total += v.size;
  const out = new Float32Array(total);
  let o = 0;
  for (const name of params.vars.keys()) {
    const d = values[name].dataSync() as Float32Array;
    out.set(d, o);
    o += d.length;
  }
  return out;
}

/** Assigns weights packed by {@link packTensors}. */
export function unpackInto(params: ParamStore, flat: Float32Array): void {
  let o = 0;
  tf.tidy(() => {
    for (const v of params.vars.values()) {
      v.assign(tf.tensor(flat.subarray(o, o + v.size), v.shape));
      o += v.size;
    }
  });
  if (o !== flat.length) throw new Error(`weight layout mismatch: ${flat.length} values for ${o} weights`);
}
