/**
 * `npm run bench:trainer`: cloud trainer and labeling figures on this machine.
 *   - enqueue → published time of a training round with the FPN `quick` preset on PCB-AoI;
 *   - dataset cache hit ratio of the second round (same base dataset plus labeled samples);
 *   - labeling API save rate (HTTP, concurrent labelers, VOC + index append under the lock).
 * Runs against an embedded S3 endpoint and the Redis on REDIS_URL (or a spawned one).
 * Env: BENCH_DATASET (Ianvs dataset dir with train_data/ and test_data/, default: synthetic line 1),
 * BENCH_PRESET (default quick), BENCH_MAX_ITERATION (override), BENCH_SAVES (default 200),
 * BENCH_LABELERS (default 8), BENCH_ROUND2_ITERATIONS (default 30).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFigures, writePerformanceSection } from './performance-doc.js';
import { Queue, QueueEvents } from 'bullmq';
import sharp from 'sharp';
import { registerBuiltins } from '../lib/builtin-algorithms/register.js';
import { startTrainer, type Trainer } from '../cloud-trainer/trainer-worker.js';
import { startLabeling } from '../labeling/server.js';
import { uploadDataset } from '../lib/dataset/s3-dataset.js';
import { ensureRedis } from '../lib/infra/index.js';
import { createLogger } from '../lib/log.js';
import type { SampleRecord } from '../lib/protocol/index.js';
import { trainingJobId, type TrainingJobData, type TrainingJobResult } from '../lib/queue/training-queue.js';
import { sampleKey } from '../lib/storage/layout.js';
import { createObjectStore } from '../lib/storage/minio-object-store.js';
import type { ObjectStore } from '../lib/storage/object-store.js';
import { startEmbeddedS3 } from '../lib/storage/embedded-s3.js';
import { formatS3Uri } from '../lib/storage/s3-uri.js';
import { benchDataset } from './dataset.js';

const DATASET = await benchDataset();
const PRESET = process.env.BENCH_PRESET ?? 'quick';
const MAX_ITERATION = process.env.BENCH_MAX_ITERATION ? Number(process.env.BENCH_MAX_ITERATION) : undefined;
const SAVES = Number(process.env.BENCH_SAVES ?? 200);
/** Round 2 fine-tunes from round 1; a short run is enough to measure the cache. */
const ROUND2_ITERATIONS = Number(process.env.BENCH_ROUND2_ITERATIONS ?? 30);
const LABELERS = Number(process.env.BENCH_LABELERS ?? 8);
const BUCKET = 'bench-trainer';
const NS = 'bench';
const JOB = 'pcb';

interface Row {
  figure: string;
  value: string;
  note: string;
}

async function round(
  queue: Queue<TrainingJobData, TrainingJobResult>,
  events: QueueEvents,
  trainer: Trainer,
  data: TrainingJobData,
): Promise<{ seconds: number; result: TrainingJobResult; hitRatio: number; hits: number; misses: number }> {
  const before = trainer.cache.getStats();
  const started = process.hrtime.bigint();
  const job = await queue.add('train', data, {
    jobId: trainingJobId({
      namespace: data.namespace,
      job: data.job,
      uid: 'bench',
      round: data.round,
      generation: 1,
    }),
    attempts: 1,
  });
  const result = await job.waitUntilFinished(events, 24 * 3600_000);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const after = trainer.cache.getStats();
  const hits = after.hits - before.hits;
  const misses = after.misses - before.misses;
  return { seconds, result, hits, misses, hitRatio: hits / Math.max(1, hits + misses) };
}

/** Uploads `count` distinct small edge samples (image + JSON record) and returns their refs. */
async function putSamples(store: ObjectStore, count: number): Promise<Array<{ node: string; id: string }>> {
  const refs: Array<{ node: string; id: string }> = [];
  for (let i = 0; i < count; i++) {
    const node = `edge-${i % 4}`;
    const jpeg = await sharp({
      create: { width: 160, height: 120, channels: 3, background: { r: i % 256, g: (i * 7) % 256, b: 90 } },
    })
      .jpeg()
      .toBuffer();
    const id = createHash('sha256').update(jpeg).digest('hex');
    await store.putObject(BUCKET, sampleKey(NS, JOB, node, id, 'jpeg'), jpeg);
    const record: SampleRecord = {
      id,
      job: { namespace: NS, name: JOB },
      node,
      bucket: BUCKET,
      createdAt: new Date().toISOString(),
      model: { job: `${NS}/${JOB}`, version: 'v0' },
      reason: 'ibt',
      image: { width: 160, height: 120, format: 'jpeg' },
      detections: [],
    };
    await store.putObject(BUCKET, sampleKey(NS, JOB, node, id, 'json'), JSON.stringify(record));
    refs.push({ node, id });
  }
  return refs;
}

async function labelingSaveRate(
  store: ObjectStore,
  redisUrl: string,
): Promise<{ rate: number; p50: number; p95: number; classes: string[] }> {
  const classes = ['defect'];
  const token = 'bench-token';
  const service = await startLabeling({
    store,
    bucket: BUCKET,
    token,
    jobs: [{ namespace: NS, job: JOB, classes }],
    redisUrl,
    port: 0,
    host: '127.0.0.1',
    logger: createLogger('labeling', { level: 'warn' }),
  });
  try {
    const refs = await putSamples(store, SAVES);
    const latencies: number[] = [];
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: LABELERS }, async () => {
        while (next < refs.length) {
          const { node, id } = refs[next++];
          const t0 = process.hrtime.bigint();
          const res = await fetch(`${service.url}/api/jobs/${NS}/${JOB}/samples/${node}/${id}/labels`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ boxes: [{ class: 'defect', xmin: 10, ymin: 10, xmax: 60, ymax: 50 }] }),
          });
          if (res.status !== 200) throw new Error(`save failed: ${res.status} ${await res.text()}`);
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const lines = await service.index.read(NS, JOB);
    if (lines.length !== SAVES) throw new Error(`index has ${lines.length} lines, expected ${SAVES}`);
    latencies.sort((a, b) => a - b);
    return {
      rate: SAVES / seconds,
      p50: latencies[Math.floor(latencies.length * 0.5)],
      p95: latencies[Math.floor(latencies.length * 0.95)],
      classes,
    };
  } finally {
    await service.close();
  }
}

async function main(): Promise<void> {
  const load = loadavg();
  const dir = await mkdtemp(join(tmpdir(), 'edge-stl-bench-trainer-'));
  const redis = await ensureRedis({});
  const s3 = await startEmbeddedS3({ dir: join(dir, 's3') });
  const store = createObjectStore({
    endpoint: s3.endpoint,
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
  });
  const prefix = `bench-trainer-${Date.now()}`;
  const queue = new Queue<TrainingJobData, TrainingJobResult>(prefix, {
    connection: { url: redis.url },
    prefix,
  });
  const events = new QueueEvents(prefix, { connection: { url: redis.url }, prefix });
  await registerBuiltins();
  const trainer = await startTrainer({
    redisUrl: redis.url,
    store,
    queueName: prefix,
    queuePrefix: prefix,
    workDir: join(dir, 'trainer'),
    logger: createLogger('trainer', { level: 'warn' }),
  });
  const rows: Row[] = [];
  try {
    await store.ensureBucket(BUCKET);
    const train = await uploadDataset(
      join(DATASET, 'train_data', 'index.txt'),
      store,
      BUCKET,
      'datasets/pcb-aoi/train_data',
    );
    const test = await uploadDataset(
      join(DATASET, 'test_data', 'index.txt'),
      store,
      BUCKET,
      'datasets/pcb-aoi/test_data',
    );
    const hyperparameters = { preset: PRESET, ...(MAX_ITERATION ? { max_iteration: MAX_ITERATION } : {}) };
    const base: TrainingJobData = {
      namespace: NS,
      job: JOB,
      round: 1,
      bucket: BUCKET,
      algorithm: { name: 'FPN', hyperparameters },
      dataset: { trainIndex: train.indexUri, testIndex: test.indexUri, classes: ['defect'] },
      evaluation: { metric: 'f1_score' },
    };
    const r1 = await round(queue, events, trainer, base);
    rows.push({
      figure: `round 1 enqueue → published (${PRESET})`,
      value: `${r1.seconds.toFixed(1)} s`,
      note: `train ${r1.result.trainSeconds.toFixed(1)} s, f1_score ${r1.result.metrics.f1_score}`,
    });
    rows.push({
      figure: 'round 1 dataset cache hit ratio',
      value: r1.hitRatio.toFixed(3),
      note: `${r1.hits} hits / ${r1.misses} misses (cold cache)`,
    });

    const save = await labelingSaveRate(store, redis.url);
    rows.push({
      figure: `labeling save rate (${LABELERS} labelers)`,
      value: `${save.rate.toFixed(1)} saves/s`,
      note: `${SAVES} saves, p50 ${save.p50.toFixed(1)} ms, p95 ${save.p95.toFixed(1)} ms`,
    });

    const ref = { version: r1.result.version, uri: r1.result.uri, sha256: r1.result.sha256 };
    const r2 = await round(queue, events, trainer, {
      ...base,
      round: 2,
      algorithm: { name: 'FPN', hyperparameters: { ...hyperparameters, max_iteration: ROUND2_ITERATIONS } },
      dataset: { ...base.dataset, labeledIndex: formatS3Uri(BUCKET, `labeled/${NS}/${JOB}/index.txt`) },
      baseModel: ref,
      deployedModel: ref,
    });
    rows.push({
      figure: 'round 2 dataset cache hit ratio',
      value: r2.hitRatio.toFixed(3),
      note: `${r2.hits} hits / ${r2.misses} misses (base + test reused, ${r2.result.labeledSamples} labeled new)`,
    });
    rows.push({
      figure: `round 2 enqueue → published (${PRESET}, ${ROUND2_ITERATIONS} it fine-tune)`,
      value: `${r2.seconds.toFixed(1)} s`,
      note: `baseline f1 ${r2.result.baselineMetrics?.f1_score}, new f1 ${r2.result.metrics.f1_score}`,
    });
  } finally {
    await trainer.close();
    await events.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await s3.stop();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const w = [Math.max(...rows.map((r) => r.figure.length)), Math.max(...rows.map((r) => r.value.length))];
  const table = [
    `| ${'figure'.padEnd(w[0])} | ${'value'.padEnd(w[1])} | note |`,
    `|${'-'.repeat(w[0] + 2)}|${'-'.repeat(w[1] + 2)}|------|`,
    ...rows.map((r) => `| ${r.figure.padEnd(w[0])} | ${r.value.padEnd(w[1])} | ${r.note} |`),
  ];
  console.log(`\nCloud trainer + labeling (${DATASET}, preset ${PRESET})\n`);
  console.log(table.join('\n'));
  if (process.env.BENCH_NO_DOCS !== '1')
    await writePerformanceSection({
      id: 'trainer',
      command: 'npm run bench:trainer',
      heading: 'Cloud trainer and labeling',
      setup: `PCB-AoI (240 train / 60 test images), FPN preset ${PRESET}, one trainer process, embedded S3 (s3rver).`,
      load: `${loadFigures(load)} at the start`,
      lines: table,
    });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
