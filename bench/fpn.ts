/**
 * `npm run bench:fpn`: FPN detector figures on this machine (figures, not pass/fail):
 *   - inference p50 / p95, batch 1, a 600x600 image at short side 640 (decode included);
 *   - forward-pass GFLOP (counted from the kernels of one forward) and achieved GFLOP/s, as a
 *     ratio to one large plain convolution on the same backend in the same run;
 *   - throughput of two worker threads serving the model (FpnWorkerPool);
 *   - training step time and images/s (batch of random crops, real PCB-AoI images);
 *   - RSS serving one model, and peak RSS.
 * Prints a table and writes the "FPN" section of docs/performance.md.
 * Env: BENCH_MODEL (a model.zip; default: a 2-iteration model of BENCH_PRESET, same cost),
 * BENCH_PRESET (default "default"), BENCH_BACKEND (default auto), BENCH_RUNS (default 20),
 * BENCH_STEPS (default 6), BENCH_DATASET (default: synthetic line 1, see bench/dataset.ts).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { FpnModel, FpnWorkerPool } from '../lib/algorithms/fpn/index.js';
import { loadDataset } from '../lib/dataset/index.js';
import { initBackend, type BackendChoice } from '../lib/tf/index.js';
import { benchDataset } from './dataset.js';

const DATASET = await benchDataset();
const PRESET = process.env.BENCH_PRESET ?? 'default';
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const STEPS = Number(process.env.BENCH_STEPS ?? 6);
const MODEL = process.env.BENCH_MODEL;

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** FLOPs of the convolutions and matMuls among profiled kernels (multiply-add = 2). */
function kernelFlops(
  kernels: Array<{ name: string; inputShapes: number[][]; outputShapes: number[][] }>,
): number {
  let f = 0;
  for (const k of kernels) {
    const out = k.outputShapes[0] ?? [];
    const size = out.reduce((a, b) => a * b, 1);
    if (k.name === 'Conv2D' || k.name === 'FusedConv2D') {
      const [kh, kw, ci] = k.inputShapes[1];
      f += 2 * size * kh * kw * ci;
    } else if (k.name === 'DepthwiseConv2dNative' || k.name === 'FusedDepthwiseConv2D') {
      const [kh, kw] = k.inputShapes[1];
      f += 2 * size * kh * kw;
    } else if (k.name === 'BatchMatMul' || k.name === '_FusedMatMul') {
      const a = k.inputShapes[0];
      f += 2 * size * a[a.length - 1];
    }
  }
  return f;
}

/** GFLOP/s of one large plain 3x3 convolution (the backend's practical peak). */
async function plainConvGflops(): Promise<number> {
  const x = tf.randomNormal([1, 160, 160, 64]) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 64, 64]) as tf.Tensor4D;
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    const y = tf.conv2d(x, w, 1, 'same');
    await y.data();
    y.dispose();
    if (i >= 2) times.push(performance.now() - t);
  }
  tf.dispose([x, w]);
  return (2 * 160 * 160 * 9 * 64 * 64) / 1e9 / (percentile(times, 50) / 1000);
}

async function main(): Promise<void> {
  const backend = await initBackend((process.env.BENCH_BACKEND as BackendChoice) ?? 'auto');
  const testIndex = join(DATASET, 'test_data', 'index.txt');
  const test = await loadDataset(testIndex);
  const image = test.samples.map((s) => s.imagePath)[0];
  const train = await loadDataset(join(DATASET, 'train_data', 'index.txt'));
  const subset = { source: train.source, samples: train.samples.slice(0, 24) };
  const workDir = await mkdtemp(join(tmpdir(), 'bench-fpn-'));

  // Without BENCH_MODEL, a model of a few iterations stands in (same graph, same cost).
  let modelZip = MODEL;
  if (!modelZip) {
    const m = new FpnModel({ preset: PRESET, max_iteration: 2, warmup_iterations: 0 });
    await m.train(subset, undefined, { workDir: join(workDir, 'init') });
    modelZip = await m.save(join(workDir, 'model.zip'));
    await m.dispose();
  }
  const model = new FpnModel();
  await model.load(modelZip);
  const cfg = model.config;
  const servingRssMb = process.memoryUsage().rss / 2 ** 20;

  // Forward GFLOP, counted from the kernels of one detection (conv + matMul).
  await model.detect(image);
  const prof = await tf.profile(async () => {
    await model.detect(image);
  });
  const gflop = kernelFlops(prof.kernels as never) / 1e9;

  // End-to-end latency (decode + resize + network + post-processing), batch 1. The plain-conv
  // reference is measured between the runs and its best value kept, so that a busy moment on a
  // shared machine does not flatter the ratio.
  const lat: number[] = [];
  const conv: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    if (i % 5 === 0) conv.push(await plainConvGflops());
    const t = performance.now();
    await model.detect(image);
    lat.push(performance.now() - t);
  }
  conv.push(await plainConvGflops());
  const convGflops = Math.max(...conv);

  // Both cores serving: a pool of two workers, 2 x RUNS requests in flight.
  const pool = await FpnWorkerPool.open(modelZip, { workers: 2, backend: backend.name as BackendChoice });
  await Promise.all([pool.detect(image), pool.detect(image)]);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 2 * RUNS }, () => pool.detect(image)));
  const poolIps = (2 * RUNS * 1000) / (performance.now() - t0);
  await pool.close();

  // Training steps on real images (batches and a replica on worker threads, as in real training).
  const stepTimes: number[] = [];
  let last = performance.now();
  const trainer = new FpnModel({ preset: PRESET, max_iteration: STEPS + 1, warmup_iterations: 0 });
  await trainer.train(subset, undefined, {
    workDir,
    checkpointEvery: 1e9,
    onProgress: (p) => {
      const now = performance.now();
      if (p.iteration > 1) stepTimes.push(now - last);
      last = now;
    },
  });
  await trainer.dispose();
  const step = percentile(stepTimes, 50);
  const rssMb = process.resourceUsage().maxRSS / 1024;
  const p50 = percentile(lat, 50);
  const rows: Array<[string, string]> = [
    ['backend', `${backend.name} (${backend.reason})`],
    [
      'model',
      `${MODEL ?? `preset ${PRESET}, 2 iterations`}: ${cfg.backbone} x${cfg.width}, FPN ${cfg.fpn_channels}, score >= ${cfg.score_threshold}`,
    ],
    [
      'inference p50 / p95 (600x600 JPEG, short side 640, batch 1, end to end)',
      `${p50.toFixed(0)} ms / ${percentile(lat, 95).toFixed(0)} ms`,
    ],
    ['forward GFLOP (conv + matMul)', gflop.toFixed(2)],
    ['achieved GFLOP/s (GFLOP / end-to-end p50)', (gflop / (p50 / 1000)).toFixed(1)],
    ['plain 3x3 conv GFLOP/s (160x160x64, best of the runs in between)', convGflops.toFixed(1)],
    ['ratio achieved / plain conv', `${((gflop / (p50 / 1000) / convGflops) * 100).toFixed(0)}%`],
    ['throughput, 2 worker threads serving (FpnWorkerPool)', `${poolIps.toFixed(2)} images/s`],
    ['RSS serving one model (after load + warm-up)', `${servingRssMb.toFixed(0)} MB`],
    [
      `training step p50 (batch ${cfg.batch_size} x ${cfg.crop_size}² crops)`,
      `${(step / 1000).toFixed(2)} s`,
    ],
    ['training images/s', ((cfg.batch_size * 1000) / step).toFixed(2)],
    ['peak RSS (whole bench process, incl. training with its worker threads)', `${rssMb.toFixed(0)} MB`],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n'));
  await writeSection(rows);
  await model.dispose();
  await rm(workDir, { recursive: true, force: true });
}

/** Replaces (or appends) the FPN section of docs/performance.md. */
async function writeSection(rows: Array<[string, string]>): Promise<void> {
  const path = join(process.cwd(), 'docs', 'performance.md');
  const existing = await readFile(path, 'utf8').catch(
    () => '# Performance\n\nFigures from `npm run bench:*` on the machine named in each section.\n',
  );
  const cpu =
    (await readFile('/proc/cpuinfo', 'utf8').catch(() => '')).match(/model name\s*:\s*(.*)/)?.[1] ??
    'unknown CPU';
  const body = [
    '<!-- fpn:begin (written by `npm run bench:fpn`) -->',
    '## FPN',
    '',
    `Measured ${new Date().toISOString().slice(0, 16)}Z on ${cpu}, Node ${process.version}; other jobs shared the 2 cores, so the figures are noisy.`,
    '',
    '| figure | value |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '<!-- fpn:end -->',
  ].join('\n');
  const re = /<!-- fpn:begin[\s\S]*?<!-- fpn:end -->/;
  await writeFile(
    path,
    re.test(existing) ? existing.replace(re, body) : `${existing.trimEnd()}\n\n${body}\n`,
  );
}

await main();
