import * as tf from '@tensorflow/tfjs-core';
import { makeRng } from '../../random.js';

function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/**
 * The detector's weights: named tf.Variables, created once with a seeded initialiser. Names are
 * the keys of the checkpoint, so they must be stable across versions.
 */
export class ParamStore {
  readonly vars = new Map<string, tf.Variable>();
  /** Names of weights that get weight decay (conv and fc kernels, not norms or biases). */
  readonly decayed = new Set<string>();
  private readonly rng: () => number;
  /** tfjs variable names are global to the engine: a per-store prefix lets two models coexist (hot swap). */
  private readonly prefix: string;
  private static instances = 0;

  constructor(seed: number) {
    this.rng = makeRng(seed);
    this.prefix = `fpn${ParamStore.instances++}`;
  }

  private create(name: string, shape: number[], init: (i: number) => number, decay: boolean): tf.Variable {
    const existing = this.vars.get(name);
    if (existing) return existing;
    const n = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = init(i);
    const v = tf.tidy(() => tf.variable(tf.tensor(values, shape), true, `${this.prefix}/${name}`));
    this.vars.set(name, v);
    if (decay) this.decayed.add(name);
    return v;
  }

  /** A kernel with He-normal init (fan-in), or the given standard deviation. */
  weight(name: string, shape: number[], std?: number): tf.Variable {
    const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const s = std ?? Math.sqrt(2 / fanIn);
    return this.create(name, shape, () => gaussian(this.rng) * s, true);
  }

  constant(name: string, shape: number[], value: number): tf.Variable {
    return this.create(name, shape, () => value, false);
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`FPN: no weight named ${name}`);
    return v;
  }

  /** Replaces values from a checkpoint; every weight of the model must be present with its shape. */
  assign(values: Record<string, tf.Tensor>): void {
    for (const [name, v] of this.vars) {
      const t = values[name];
      if (!t) throw new Error(`checkpoint lacks weight ${name}`);
      if (t.shape.join(',') !== v.shape.join(',')) {
        throw new Error(`checkpoint weight ${name} has shape [${t.shape}], the model expects [${v.shape}]`);
      }
      v.assign(t);
    }
  }

  /** Current values by name, for a checkpoint (views, not copies). */
  named(): tf.NamedTensorMap {
    return Object.fromEntries(this.vars);
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
