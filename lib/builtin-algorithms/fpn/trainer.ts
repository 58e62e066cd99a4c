import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainOptions } from '../../algorithm-api/types.js';
import { createLogger } from '../../log.js';
import { writeCheckpoint, type CheckpointMeta } from './checkpoint.js';
import type { FpnConfig } from './config.js';
import type { FpnDetector } from './detector.js';
import { makeRng } from '../../random.js';
import type { ParamStore } from './params.js';
import { MomentumSgd, learningRate } from './sgd.js';
import { batchGradients, LOSS_PARTS, packTensors } from './gradients.js';
import type { Replica } from './replicas.js';
import type { BatchSource } from './batch-source.js';

const log = createLogger('fpn-train');

/** What a training run needs beyond the images. */
export interface TrainRun {
  detector: FpnDetector;
  params: ParamStore;
  cfg: FpnConfig;
  classes: string[];
  hyperparameters: Record<string, unknown>;
  /** This thread's batches (of `batch_size / (replicas + 1)` images). */
  batches: BatchSource;
  /** Data-parallel replicas on worker threads (none: single-threaded training). */
  replicas?: Replica[];
  options: TrainOptions;
  startIteration: number;
  /** Seconds already trained before `startIteration` (resume), counted against the time budget. */
  elapsedBefore?: number;
  optimizer: MomentumSgd;
}

interface StepResult {
  loss: number;
  parts: Record<string, number>;
}

/**
 * One SGD step. With replicas, each computes the gradients of its own batch from the same
 * weights while this thread does its batch; the gradients are averaged (synchronous data
 * parallelism). All tensors are released before it returns.
 */
async function step(run: TrainRun, it: number, progress: number, rng: () => number): Promise<StepResult> {
  const replicas = run.replicas ?? [];
  const weights = replicas.length ? packTensors(run.params, run.params.named()) : undefined;
  const pending = replicas.map((r) => r.step(weights!));
  const batch = await run.batches.next();
  const own = batchGradients(run.detector, run.params, batch, rng);
  try {
    const others = await Promise.all(pending);
    const k = others.length + 1;
    let grads = own.grads;
    if (others.length) {
      grads = {};
      let o = 0;
      for (const [name, v] of run.params.vars) {
        const size = v.size;
        grads[name] = tf.tidy(() => {
          let sum = own.grads[name];
          for (const r of others) sum = tf.add(sum, tf.tensor(r.grads.subarray(o, o + size), v.shape));
          return tf.div(sum, k);
        });
        o += size;
      }
    }
    run.optimizer.apply(grads, learningRate(it, progress, run.cfg));
    if (grads !== own.grads) tf.dispose(Object.values(grads));
    const loss = (own.loss + others.reduce((a, r) => a + r.loss, 0)) / k;
    const parts = LOSS_PARTS.map((_, i) => (own.parts[i] + others.reduce((a, r) => a + r.parts[i], 0)) / k);
    return { loss, parts: Object.fromEntries(LOSS_PARTS.map((name, i) => [name, parts[i]])) };
  } finally {
    tf.dispose(Object.values(own.grads));
  }
}

/** Writes a checkpoint of the current weights and optimizer state; removes the previous one. */
async function checkpoint(run: TrainRun, it: number, seconds: number, previous?: string): Promise<string> {
  const dir = join(run.options.workDir, `checkpoint-${String(it).padStart(6, '0')}`);
  const meta: Omit<CheckpointMeta, 'format' | 'algorithm' | 'weightSpecs' | 'optimizerSpecs'> = {
    config: run.cfg,
    hyperparameters: run.hyperparameters,
    classes: run.classes,
    iteration: it,
    trainSeconds: seconds,
  };
  const opt = Object.entries(run.optimizer.state()).map(([name, tensor]) => ({ name, tensor }));
  await writeCheckpoint(dir, meta, run.params.named(), opt);
  if (previous && previous !== dir) await rm(previous, { recursive: true, force: true });
  await run.options.onCheckpoint?.(dir, it);
  return dir;
}

/**
 * The training loop: SGD steps from `startIteration` to `max_iteration`, progress after each
 * step, a checkpoint every `checkpointEvery` steps and at the end. An abort stops after the
 * current step and returns a checkpoint of it.
 */
export async function runTraining(
  run: TrainRun,
): Promise<{ checkpointDir: string; seconds: number; iterations: number }> {
  const { cfg, options } = run;
  const rng = makeRng(cfg.seed * 7919 + run.startIteration);
  const every = options.checkpointEvery ?? Math.max(50, Math.floor(cfg.max_iteration / 10));
  const t0 = Date.now();
  let last: string | undefined;
  let lastIt = run.startIteration;
  let smoothed: number | undefined;
  const budget = cfg.time_budget_minutes * 60;
  const base = run.elapsedBefore ?? 0;
  // Fraction of the run done: by iterations, or by wall-clock when a time budget is set.
  const progressAt = (it: number, elapsed: number) =>
    Math.max(it / cfg.max_iteration, budget > 0 ? (base + elapsed) / budget : 0);
  for (let it = run.startIteration; it < cfg.max_iteration; it++) {
    if (options.signal?.aborted) break;
    if (progressAt(it, (Date.now() - t0) / 1000) >= 1) break;
    const r = await step(run, it, progressAt(it, (Date.now() - t0) / 1000), rng);
    if (!Number.isFinite(r.loss))
      throw new Error(`training diverged at iteration ${it + 1} (loss ${r.loss})`);
    lastIt = it + 1;
    smoothed = smoothed === undefined ? r.loss : 0.9 * smoothed + 0.1 * r.loss;
    const elapsed = (Date.now() - t0) / 1000;
    const done = lastIt - run.startIteration;
    const ips = (done * cfg.batch_size) / Math.max(elapsed, 1e-3);
    const byIterations = ((cfg.max_iteration - lastIt) * cfg.batch_size) / Math.max(ips, 1e-6);
    options.onProgress?.({
      iteration: lastIt,
      maxIteration: cfg.max_iteration,
      loss: r.loss,
      lossParts: r.parts,
      imagesPerSecond: ips,
      etaSeconds: budget > 0 ? Math.min(byIterations, Math.max(0, budget - base - elapsed)) : byIterations,
    });
    if (lastIt % 20 === 0) log.debug({ iteration: lastIt, loss: smoothed, ...r.parts }, 'Training step');
    if (lastIt % every === 0 && lastIt < cfg.max_iteration)
      last = await checkpoint(run, lastIt, base + elapsed, last);
    // Let timers and I/O callbacks run between steps (abort signals, progress reporters).
    await new Promise((resolve) => setImmediate(resolve));
  }
  const seconds = (Date.now() - t0) / 1000;
  const lastDir =
    last && last.endsWith(String(lastIt).padStart(6, '0'))
      ? last
      : await checkpoint(run, lastIt, base + seconds, last);
  log.info(
    { iterations: lastIt, seconds: Math.round(seconds), aborted: options.signal?.aborted ?? false },
    'Training finished',
  );
  return { checkpointDir: lastDir, seconds, iterations: lastIt };
}
