/**
 * `npm run bench:fpn`: FPN detector figures on this machine (figures, not pass/fail):
 *   - inference p50 / p95, batch 1, a 600x600 image at short side 640 (decode included);
 *   - forward-pass GFLOP (counted from the kernels of one forward) and achieved GFLOP/s, as a
 *     ratio to one large plain convolution on the same backend in the same run;
 *   - the same on ONNX Runtime (the edge engine, intra-op threads = cores): p50 / p95, achieved
 *     GFLOP/s as a ratio to ORT's own plain-conv GFLOP/s (eight 3x3 convs 64->64 on 160x160);
 *   - throughput of two worker threads serving the model (FpnWorkerPool);
 *   - training step time and images/s (batch of random crops, real PCB-AoI images);
 *   - RSS serving one model, and peak RSS.
 * Prints a table and writes the "FPN" section of docs/performance.md.
 * Env: BENCH_MODEL (a model.zip; default: a 2-iteration model of BENCH_PRESET, same cost),
 * BENCH_PRESET (default "default"), BENCH_BACKEND (default auto), BENCH_RUNS (default 20),
 * BENCH_STEPS (default 6), BENCH_DATASET (default: synthetic line 1, see bench/dataset.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePerformanceSection } from './performance-doc.js';
import * as tf from '@tensorflow/tfjs-core';
import { FpnModel, FpnWorkerPool } from '../lib/builtin-algorithms/fpn/index.js';
import { OnnxGraph } from '../lib/builtin-algorithms/fpn/onnx-graph.js';
import { loadOrt } from '../lib/builtin-algorithms/fpn/onnx-detector.js';
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

/** ORT GFLOP/s of eight 3x3 convs 64->64 + ReLU on 160x160 (the issue's reference graph). */
async function ortPlainConvGflops(threads: number): Promise<number> {
  const ort = await loadOrt();
  const g = new OnnxGraph();
  let y = g.input('x', [1, 64, 160, 160]);
  for (let i = 0; i < 8; i++) {
    const w = Float32Array.from({ length: 64 * 64 * 9 }, () => (Math.random() - 0.5) * 0.1);
    y = g.node('Relu', [
      g.node('Conv', [y, g.floats(`w${i}`, w, [64, 64, 3, 3])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
    ]);
  }
  g.output(y, 'y', [1, 64, 160, 160]);
  const session = await ort.InferenceSession.create(g.encode('plain-conv'), {
    intraOpNumThreads: threads,
    graphOptimizationLevel: 'all',
  });
  const x = new ort.Tensor(
    'float32',
    Float32Array.from({ length: 64 * 160 * 160 }, Math.random),
    [1, 64, 160, 160],
  );
  const times: number[] = [];
  for (let i = 0; i < 12; i++) {
    const t = performance.now();
    await session.run({ x });
    if (i >= 2) times.push(performance.now() - t);
  }
  await session.release();
  return (8 * 2 * 160 * 160 * 9 * 64 * 64) / 1e9 / (percentile(times, 50) / 1000);
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
  const model = new FpnModel({ engine: 'tfjs' });
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

  // The same model on ONNX Runtime, as the edge agent serves it (threads = cores).
  const threads = availableParallelism();
  const onnx = new FpnModel({ engine: 'onnx', onnx_threads: threads });
  await onnx.load(modelZip);
  const onnxLat: number[] = [];
  const ortConv: number[] = [];
  for (let i = 0; i < 3; i++) await onnx.detect(image);
  for (let i = 0; i < RUNS * 2; i++) {
    if (i % 10 === 0) ortConv.push(await ortPlainConvGflops(threads));
    const t = performance.now();
    await onnx.detect(image);
    onnxLat.push(performance.now() - t);
  }
  ortConv.push(await ortPlainConvGflops(threads));
  const ortConvGflops = Math.max(...ortConv);
  const ortConv1 = await ortPlainConvGflops(1);
  await onnx.dispose();
  const onnxP50 = percentile(onnxLat, 50);

  // Both cores serving: a pool of two workers, 2 x RUNS requests in flight.
  const pool = await FpnWorkerPool.open(modelZip, {
    workers: 2,
    backend: backend.name as BackendChoice,
    overrides: { engine: 'tfjs' },
  });
  await Promise.all([pool.detect(image), pool.detect(image)]);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 2 * RUNS }, () => pool.detect(image)));
  const poolIps = (2 * RUNS * 1000) / (performance.now() - t0);
  await pool.close();

  // Training steps on real images (batches and a replica on worker threads, as in real training).
  const stepTimes: number[] = [];
  let last = performance.now();
  const trainer = new FpnModel({ preset: PRESET, max_iteration: STEPS + 1, warmup_iterations: 0 });
  if (STEPS > 0)
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
  const step = stepTimes.length ? percentile(stepTimes, 50) : NaN;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  const p50 = percentile(lat, 50);
  const rows: Array<[string, string]> = [
    ['backend', `${backend.name} (${backend.reason})`],
    [
      'model',
      `${MODEL ?? `preset ${PRESET}, 2 iterations`}: ${cfg.backbone} x${cfg.width}, FPN ${cfg.fpn_channels}, score >= ${cfg.score_threshold}`,
    ],
    [
      'TF.js inference p50 / p95 (600x600 JPEG, short side 640, batch 1, end to end)',
      `${p50.toFixed(0)} ms / ${percentile(lat, 95).toFixed(0)} ms`,
    ],
    ['forward GFLOP (conv + matMul)', gflop.toFixed(2)],
    ['TF.js achieved GFLOP/s (GFLOP / end-to-end p50)', (gflop / (p50 / 1000)).toFixed(1)],
    ['TF.js plain 3x3 conv GFLOP/s (160x160x64, best of the runs in between)', convGflops.toFixed(1)],
    ['TF.js ratio achieved / plain conv', `${((gflop / (p50 / 1000) / convGflops) * 100).toFixed(0)}%`],
    [
      `ONNX Runtime inference p50 / p95 (same image, ${threads} intra-op threads)`,
      `${onnxP50.toFixed(0)} ms / ${percentile(onnxLat, 95).toFixed(0)} ms`,
    ],
    ['ONNX Runtime achieved GFLOP/s (GFLOP / end-to-end p50)', (gflop / (onnxP50 / 1000)).toFixed(1)],
    [
      `ONNX Runtime plain conv GFLOP/s (eight 3x3 64->64 on 160x160, ${threads} threads / 1 thread)`,
      `${ortConvGflops.toFixed(1)} / ${ortConv1.toFixed(1)}`,
    ],
    [
      'ONNX Runtime ratio achieved / plain conv (target >= 40%)',
      `${((gflop / (onnxP50 / 1000) / ortConvGflops) * 100).toFixed(0)}%`,
    ],
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
  await writePerformanceSection({
    id: 'fpn',
    command: 'npm run bench:fpn',
    heading: 'FPN',
    setup: 'One process, the figures in the order they ran.',
    lines: ['| figure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)],
  });
  await model.dispose();
  await rm(workDir, { recursive: true, force: true });
}

await main();
