import * as tf from '@tensorflow/tfjs-core';

/** Smooth L1 (Huber / beta), element-wise: 0.5 d²/beta below beta, |d| - 0.5 beta above. */
export function smoothL1(d: tf.Tensor, beta: number): tf.Tensor {
  const a = tf.abs(d);
  if (beta <= 0) return a;
  const m = tf.minimum(a, beta);
  return tf.add(tf.mul(tf.square(m), 0.5 / beta), tf.sub(a, m));
}

/** Binary cross-entropy on logits, element-wise, numerically stable. */
export function bceWithLogits(x: tf.Tensor, z: tf.Tensor): tf.Tensor {
  return tf.add(tf.sub(tf.relu(x), tf.mul(x, z)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
}

/** Sum of `values * weights` divided by `norm` (a plain number: normalisers carry no gradient). */
export function weightedSum(values: tf.Tensor, weights: tf.Tensor, norm: number): tf.Scalar {
  return tf.div(tf.sum(tf.mul(values, weights)), Math.max(1, norm)) as tf.Scalar;
}
