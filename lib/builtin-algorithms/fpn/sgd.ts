import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from './params.js';

/**
 * SGD with momentum (PyTorch form: v = m·v + g + wd·w; w -= lr·v), L2 weight decay on kernels
 * only, and global-norm gradient clipping. Velocities are named like the weights, so they can be
 * checkpointed and restored for crash-resume.
 */
export class MomentumSgd {
  private readonly velocity = new Map<string, tf.Variable>();

  constructor(
    private readonly params: ParamStore,
    readonly momentum: number,
    readonly weightDecay: number,
    readonly clipNorm: number,
  ) {}

  /** Applies one step; `grads` are keyed by ParamStore name. Disposes nothing it was given. Returns the gradient norm. */
  apply(grads: Record<string, tf.Tensor>, lr: number): number {
    const names = Object.keys(grads);
    const sq = tf.tidy(() => tf.addN(names.map((n) => tf.sum(tf.square(grads[n])))));
    const norm = Math.sqrt((sq.dataSync() as Float32Array)[0]);
    sq.dispose();
    const scale = this.clipNorm > 0 && norm > this.clipNorm ? this.clipNorm / norm : 1;
    tf.tidy(() => {
      for (const name of names) {
        const w = this.params.get(name);
        let g = scale === 1 ? grads[name] : tf.mul(grads[name], scale);
        if (this.weightDecay > 0 && this.params.decayed.has(name)) g = tf.add(g, tf.mul(w, this.weightDecay));
        let v = this.velocity.get(name);
        if (!v) {
          v = tf.variable(tf.zerosLike(w), false);
          this.velocity.set(name, v);
        }
        const nv = tf.add(tf.mul(v, this.momentum), g);
        v.assign(nv);
        w.assign(tf.sub(w, tf.mul(nv, lr)));
      }
    });
    return norm;
  }

  /** Velocities as named tensors (views, not copies) for a checkpoint. */
  state(): tf.NamedTensorMap {
    return Object.fromEntries(this.velocity);
  }

  /** Restores velocities from a checkpoint; disposes the given tensors. */
  restore(state: tf.NamedTensorMap): void {
    for (const [name, t] of Object.entries(state)) {
      this.velocity.get(name)?.dispose();
      this.velocity.set(name, tf.variable(t, false));
      t.dispose();
    }
  }

  dispose(): void {
    for (const v of this.velocity.values()) v.dispose();
    this.velocity.clear();
  }
}

/**
 * Learning rate: linear warm-up from lr/10 over `warmup_iterations`, then a step schedule that
 * multiplies by `lr_gamma` at each fraction in `lr_steps` of the run. `progress` is the fraction
 * of the run done (iterations, or wall-clock under a time budget).
 */
export function learningRate(
  it: number,
  progress: number,
  cfg: { learning_rate: number; warmup_iterations: number; lr_steps: number[]; lr_gamma: number },
): number {
  let lr = cfg.learning_rate;
  for (const s of cfg.lr_steps) if (progress >= s) lr *= cfg.lr_gamma;
  if (it < cfg.warmup_iterations) lr *= 0.1 + (0.9 * it) / cfg.warmup_iterations;
  return lr;
}
