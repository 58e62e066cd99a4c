import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { registerBuiltins } from '../../lib/builtin-algorithms/register.js';
import { startTrainer, type Trainer } from '../../cloud-trainer/trainer-worker.js';
import { readManifest, sha256File } from '../../lib/model-package/index.js';
import {
  trainingJobId,
  type TrainingJobData,
  type TrainingJobProgress,
  type TrainingJobResult,
} from '../../lib/queue/training-queue.js';
import { labeledIndexKey, modelKey, SHA256_METADATA_KEY } from '../../lib/storage/layout.js';
import { formatS3Uri } from '../../lib/storage/s3-uri.js';
import { uploadDataset } from '../../lib/dataset/index.js';
import { LabeledIndex } from '../../labeling/labeled-index.js';
import { saveLabels } from '../../labeling/label-writer.js';
import { putSample } from '../labeling/sample-fixtures.js';
import type { ObjectStore } from '../../lib/storage/object-store.js';
import { DETECTING_F1_FLOOR, detectingModel } from '../support/detecting-model.js';
import { testRedisUrl, testStore, uniqueBucket } from '../support/env.js';
import { FlakyStore } from './flaky-store.js';
import { TINY_CLASSES, tinyImage, uploadTinyDataset } from './tiny-dataset.js';

const NS = 'demo';

/**
 * Edge samples labeled through the labeling service's writer, so the trainer reads exactly what
 * labeling produces (`labeled/<ns>/<job>/index.txt`, VOC, images).
 */
async function labelTinySamples(
  store: ObjectStore,
  bucket: string,
  job: string,
  count: number,
): Promise<string> {
  const index = new LabeledIndex(store, bucket);
  for (let i = 0; i < count; i++) {
    const { jpeg, boxes } = await tinyImage(300 + i);
    const node = `edge-${i}`;
    const id = await putSample(store, bucket, { namespace: NS, job, node }, jpeg, []);
    await saveLabels(
      { store, bucket, index },
      { namespace: NS, job, node, id },
      {
        boxes: boxes.map((b) => ({ class: 'defect', ...b })),
        classes: TINY_CLASSES,
        method: 'manual',
      },
    );
  }
  return formatS3Uri(bucket, labeledIndexKey(NS, job));
}
const HP = { preset: 'tiny', max_iteration: 6 };

describe('cloud trainer', () => {
  let store: ObjectStore;
  let bucket: string;
  let dir: string;
  let queue: Queue<TrainingJobData, TrainingJobResult>;
  let events: QueueEvents;
  let trainer: Trainer;
  let flaky: FlakyStore;
  let trainIndex: string;
  let testIndex: string;
  let labeledIndex: string;
  const prefix = `hf-trainer-${Date.now()}`;
  const connection = { url: testRedisUrl() };

  function jobData(job: string, round: number, extra: Partial<TrainingJobData> = {}): TrainingJobData {
    return {
      namespace: NS,
      job,
      round,
      bucket,
      algorithm: { name: 'FPN', hyperparameters: HP },
      dataset: { trainIndex, testIndex, labeledIndex, classes: TINY_CLASSES },
      evaluation: { metric: 'f1_score' },
      ...extra,
    };
  }

  async function run(data: TrainingJobData, attempts = 2): Promise<TrainingJobResult> {
    const job = await queue.add('train', data, {
      jobId: trainingJobId({
        namespace: data.namespace,
        job: data.job,
        uid: 'test-uid',
        round: data.round,
        generation: 1,
      }),
      attempts,
    });
    return job.waitUntilFinished(events, 120_000);
  }

  /** Publishes v1 of `job` and returns the reference a later round names as its base model. */
  async function publishedRef(job: string): Promise<{ version: string; uri: string; sha256: string }> {
    const v1 = await run(jobData(job, 1));
    return { version: v1.version, uri: v1.uri, sha256: v1.sha256 };
  }

  beforeAll(async () => {
    await registerBuiltins();
    store = testStore();
    bucket = uniqueBucket('trainer');
    await store.ensureBucket(bucket);
    dir = await mkdtemp(join(tmpdir(), 'hf-trainer-'));
    trainIndex = await uploadTinyDataset(store, bucket, 'datasets/tiny/train', 6, 1);
    testIndex = await uploadTinyDataset(store, bucket, 'datasets/tiny/test', 3, 2);
    labeledIndex = await labelTinySamples(store, bucket, 'pcb', 2);
    const opts = { connection: { url: connection.url }, prefix };
    queue = new Queue(prefix, opts);
    events = new QueueEvents(prefix, opts);
    await events.waitUntilReady();
    flaky = new FlakyStore(store);
    trainer = await startTrainer({
      redisUrl: connection.url,
      store: flaky,
      queueName: prefix,
      queuePrefix: prefix,
      workDir: dir,
      checkpointEvery: 3,
      opsPort: 0,
      opsHost: '127.0.0.1',
    });
  });

  afterAll(async () => {
    await trainer?.close();
    await events?.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('publishes v1 with a correct manifest and its sha256 as metadata; a duplicate publishes nothing new', async () => {
    const progress: TrainingJobProgress[] = [];
    const onProgress = ({ jobId, data }: { jobId: string; data: unknown }) => {
      if (jobId === trainingJobId({ namespace: NS, job: 'pcb', uid: 'test-uid', round: 1, generation: 1 }))
        progress.push(data as TrainingJobProgress);
    };
    events.on('progress', onProgress);
    const result = await run(jobData('pcb', 1));
    events.off('progress', onProgress);
    expect(progress.map((p) => p.stage)).toEqual(
      expect.arrayContaining(['fetching', 'training', 'evaluating', 'publishing']),
    );
    const last = progress.filter((p) => p.stage === 'training').pop()!;
    expect(last).toMatchObject({ iteration: HP.max_iteration, maxIteration: HP.max_iteration });
    for (const field of ['loss', 'imagesPerSecond', 'etaSeconds'] as const)
      expect(Number.isFinite(last[field])).toBe(true);
    const key = modelKey(NS, 'pcb', 1);
    expect(result).toMatchObject({
      version: 'v1',
      uri: `s3://${bucket}/${key}`,
      baselineMetrics: null,
      labeledSamples: 2,
    });
    expect(result.trainSeconds).toBeGreaterThan(0);
    // The floor is asserted on a model that detects, below; 6 iterations learn too little for one.
    expect(typeof result.metrics.f1_score).toBe('number');

    const info = await store.stat(bucket, key);
    const zip = join(dir, 'v1.zip');
    await store.getFile(bucket, key, zip);
    const sha = await sha256File(zip);
    expect(result.sha256).toBe(sha);
    expect(info?.metadata[SHA256_METADATA_KEY]).toBe(sha);
    const manifest = await readManifest(zip);
    expect(manifest).toMatchObject({
      algorithm: 'FPN',
      classes: TINY_CLASSES,
      version: 'v1',
      parentVersion: null,
      hyperparameters: HP,
      metrics: result.metrics,
      training: {
        trainImages: 6,
        labeledImages: 2,
        testImages: 3,
        namespace: NS,
        job: 'pcb',
        round: 1,
        baselineMetrics: null,
      },
    });
    expect(manifest.training?.trainSeconds).toBe(result.trainSeconds);
    expect(await store.list(bucket, `scratch/${NS}/pcb/r1/`)).toEqual([]);

    // Same round again while the job is kept: BullMQ's jobId dedup returns the finished job.
    const again = await queue.add('train', jobData('pcb', 1), {
      jobId: trainingJobId({ namespace: NS, job: 'pcb', uid: 'test-uid', round: 1, generation: 1 }),
    });
    expect(await again.getState()).toBe('completed');
    // Same round after the job record is gone: the trainer finds the published model and keeps it.
    await queue.remove(
      trainingJobId({ namespace: NS, job: 'pcb', uid: 'test-uid', round: 1, generation: 1 }),
    );
    const rerun = await run(jobData('pcb', 1));
    expect(rerun).toEqual(result);
    const after = await store.stat(bucket, key);
    expect(after?.etag).toBe(info?.etag);
    expect(after?.lastModified.getTime()).toBe(info?.lastModified.getTime());
    expect((await store.list(bucket, `models/${NS}/pcb/`)).map((o) => o.key)).toEqual([key]);
    const logs = await queue.getJobLogs(
      trainingJobId({ namespace: NS, job: 'pcb', uid: 'test-uid', round: 1, generation: 1 }),
    );
    expect(logs.logs.join('\n')).toContain('already published as v1');

    const metrics = await (await fetch(`${trainer.opsUrl}/metrics`)).text();
    expect(metrics).toMatch(/edge_stl_trainer_jobs_total\{outcome="completed"\} 2/);
    expect(metrics).toMatch(/edge_stl_trainer_last_loss \d/);
    expect(metrics).toMatch(/edge_stl_trainer_training_seconds_count 1/);
    expect((await fetch(`${trainer.opsUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${trainer.opsUrl}/readyz`)).status).toBe(200);
  });

  it('evaluates the deployed model as the baseline and fine-tunes from it, reusing cached images', async () => {
    const v1 = await run(jobData('base', 1));
    const before = trainer.cache.getStats();
    const ref = { version: v1.version, uri: v1.uri, sha256: v1.sha256 };
    const v2 = await run(jobData('base', 2, { baseModel: ref, deployedModel: ref }));
    expect(v2.version).toBe('v2');
    expect(v2.baselineMetrics).not.toBeNull();
    expect(Object.keys(v2.baselineMetrics!)).toContain('f1_score');
    // v1 evaluated on the same test set by the same metric gives the same score it was published with.
    expect(v2.baselineMetrics!.f1_score).toBeCloseTo(v1.metrics.f1_score, 4);
    const zip = join(dir, 'v2.zip');
    await store.getFile(bucket, modelKey(NS, 'base', 2), zip);
    expect(await readManifest(zip)).toMatchObject({
      parentVersion: 'v1',
      training: { baselineMetrics: v2.baselineMetrics },
    });
    const after = trainer.cache.getStats();
    expect(after.hits - before.hits).toBeGreaterThanOrEqual(6 + 2 + 3);
    expect(after.misses - before.misses).toBe(0);
  });

  it('fine-tunes a model that detects into one that still detects: F1 >= 0.8 before and after', async () => {
    // The suite's detecting model (trained by `edge-stl train`) as the deployed v1 of this job.
    const fixture = await detectingModel();
    const [train, test] = await Promise.all([
      uploadDataset(fixture.train.indexPath, store, bucket, 'datasets/detecting/train'),
      uploadDataset(fixture.test.indexPath, store, bucket, 'datasets/detecting/test'),
    ]);
    const v1Key = modelKey(NS, 'detect', 1);
    await store.putFile(bucket, v1Key, fixture.zipPath);
    const ref = { version: 'v1', uri: formatS3Uri(bucket, v1Key), sha256: await sha256File(fixture.zipPath) };
    const v2 = await run(
      jobData('detect', 2, {
        // A low rate: a few fine-tuning steps must not undo what the base model learned.
        algorithm: { name: 'FPN', hyperparameters: { ...HP, learning_rate: 0.002 } },
        dataset: { trainIndex: train.indexUri, testIndex: test.indexUri, classes: fixture.test.classes },
        baseModel: ref,
        deployedModel: ref,
      }),
    );
    expect(v2.version).toBe('v2');
    expect(v2.baselineMetrics!.f1_score).toBeGreaterThanOrEqual(DETECTING_F1_FLOOR);
    expect(v2.metrics.f1_score).toBeGreaterThanOrEqual(DETECTING_F1_FLOOR);
  }, 600_000);

  it('retries a round that failed on an S3 outage, per the job’s attempts and backoff', async () => {
    // A dataset this trainer has not cached yet, so the first download really goes to S3.
    const fresh = await uploadTinyDataset(store, bucket, 'datasets/tiny/fresh', 4, 4);
    flaky.failNextDownloads(1);
    const id = trainingJobId({ namespace: NS, job: 'flaky', uid: 'test-uid', round: 1, generation: 1 });
    const data = jobData('flaky', 1, { dataset: { trainIndex: fresh, testIndex, classes: TINY_CLASSES } });
    const job = await queue.add('train', data, {
      jobId: id,
      attempts: 3,
      backoff: { type: 'fixed', delay: 200 },
    });
    const result = await job.waitUntilFinished(events, 120_000);
    expect(result.version).toBe('v1');
    const done = (await queue.getJob(id))!;
    expect(done.attemptsMade).toBeGreaterThanOrEqual(1);
    expect((await queue.getJobLogs(id)).logs.join('\n')).toContain('attempt 1 failed: simulated outage');
    expect(await (await fetch(`${trainer.opsUrl}/metrics`)).text()).toMatch(
      /edge_stl_trainer_jobs_total\{outcome="failed"\} 1/,
    );
  });

  it('fails at once, with a clear reason, on a missing dataset, an unreadable image or bad algorithm settings', async () => {
    await store.putObject(bucket, 'datasets/broken/JPEGImages/x.jpeg', Buffer.from('not a jpeg'));
    await store.putObject(bucket, 'datasets/broken/index.txt', './JPEGImages/x.jpeg\n');
    const cases: Array<[TrainingJobData, string]> = [
      [
        jobData('bad1', 1, {
          dataset: { trainIndex: `s3://${bucket}/datasets/nope/index.txt`, testIndex, classes: TINY_CLASSES },
        }),
        `train index s3://${bucket}/datasets/nope/index.txt does not exist`,
      ],
      [
        jobData('bad2', 1, {
          dataset: {
            trainIndex: `s3://${bucket}/datasets/broken/index.txt`,
            testIndex,
            classes: TINY_CLASSES,
          },
        }),
        `unreadable image s3://${bucket}/datasets/broken/JPEGImages/x.jpeg`,
      ],
      [
        jobData('bad3', 1, { algorithm: { name: 'NoSuchNet', hyperparameters: {} } }),
        'unknown algorithm "NoSuchNet"',
      ],
      [
        jobData('bad4', 1, { algorithm: { name: 'FPN', hyperparameters: { preset: 'huge' } } }),
        'invalid hyperparameters for FPN',
      ],
      [{ ...jobData('bad5', 1), round: -1 }, 'invalid training job payload: /round'],
      [
        // Hyperparameters win over the base model's, so one that needs another network cannot fit.
        jobData('bad6', 2, {
          algorithm: { name: 'FPN', hyperparameters: { ...HP, fpn_channels: 64 } },
          baseModel: await publishedRef('bad6-base'),
        }),
        'base model v1: fpn_channels=64 does not fit the loaded model',
      ],
    ];
    for (const [data, reason] of cases) {
      // 3 attempts with a 5 s backoff allowed: failed after exactly one attempt means no retry
      // (the state and the count say it; a clock would only add flakiness on a busy machine).
      const job = await queue.add('train', data, {
        jobId: `${data.job}-${data.round}`,
        attempts: 3,
        backoff: { type: 'fixed', delay: 5000 },
      });
      await expect(job.waitUntilFinished(events, 60_000)).rejects.toThrow(reason);
      const failed = await queue.getJob(job.id!);
      expect({ reason, attemptsMade: failed?.attemptsMade }).toEqual({ reason, attemptsMade: 1 });
      expect(await failed?.getState()).toBe('failed');
    }
    expect(await store.list(bucket, `models/${NS}/bad1/`)).toEqual([]);
  });
});
