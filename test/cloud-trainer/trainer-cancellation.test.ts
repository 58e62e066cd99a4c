import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { registerBuiltins } from '../../lib/builtin-algorithms/register.js';
import { startTrainer, type Trainer } from '../../cloud-trainer/trainer-worker.js';
import { createLogger } from '../../lib/log.js';
import { readManifest } from '../../lib/model-package/index.js';
import {
  trainingJobId,
  type TrainingJobData,
  type TrainingJobResult,
} from '../../lib/queue/training-queue.js';
import { modelKey } from '../../lib/storage/layout.js';
import type { ObjectStore } from '../../lib/storage/object-store.js';
import { BullmqTrainingQueue } from '../../operator/adapters/bullmq-training-queue.js';
import { testRedisUrl, testStore, uniqueBucket } from '../support/env.js';
import { TINY_CLASSES, uploadTinyDataset } from './tiny-dataset.js';

const NS = 'demo';

/** The real trainer honours the operator's cancellation of a round, and never adopts another run's model. */
describe('cloud trainer cancellation', () => {
  let store: ObjectStore;
  let bucket: string;
  let dir: string;
  let operatorSide: BullmqTrainingQueue;
  let queue: Queue<TrainingJobData, TrainingJobResult>;
  let events: QueueEvents;
  let trainer: Trainer;
  let trainIndex: string;
  let testIndex: string;
  const prefix = `hf-cancel-${Date.now()}`;

  function data(job: string, maxIteration: number): TrainingJobData {
    return {
      namespace: NS,
      job,
      round: 1,
      bucket,
      algorithm: { name: 'FPN', hyperparameters: { preset: 'tiny', max_iteration: maxIteration } },
      dataset: { trainIndex, testIndex, classes: TINY_CLASSES },
      evaluation: { metric: 'f1_score' },
    };
  }

  async function objects(prefixKey: string): Promise<string[]> {
    return (await store.list(bucket, prefixKey, { recursive: true })).map((o) => o.key);
  }

  async function waitFor<T>(what: string, fn: () => Promise<T>, timeoutMs = 90_000): Promise<NonNullable<T>> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  beforeAll(async () => {
    await registerBuiltins();
    store = testStore();
    bucket = uniqueBucket('trainer-cancel');
    await store.ensureBucket(bucket);
    dir = await mkdtemp(join(tmpdir(), 'hf-cancel-'));
    trainIndex = await uploadTinyDataset(store, bucket, 'datasets/tiny/train', 6, 11);
    testIndex = await uploadTinyDataset(store, bucket, 'datasets/tiny/test', 2, 12);
    const connection = { url: testRedisUrl() };
    operatorSide = new BullmqTrainingQueue({
      connection,
      prefix,
      queueName: prefix,
      log: createLogger('cancel-test', { level: 'silent' }),
    });
    queue = new Queue(prefix, { connection, prefix });
    events = new QueueEvents(prefix, { connection, prefix });
    await events.waitUntilReady();
    trainer = await startTrainer({
      redisUrl: testRedisUrl(),
      store,
      queueName: prefix,
      queuePrefix: prefix,
      workDir: join(dir, 'trainer'),
      checkpointEvery: 2,
      cancelPollMs: 100,
    });
  });

  afterAll(async () => {
    await trainer?.close();
    await events?.close();
    await operatorSide?.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a round cancelled mid-training stops at once, fails without a retry and removes what it wrote', async () => {
    const id = trainingJobId({ namespace: NS, job: 'cancel', uid: 'uid-a', round: 1, generation: 1 });
    // Far more iterations than the test waits for: only the cancellation can end it this soon.
    await operatorSide.enqueue(id, data('cancel', 100_000));
    const running = await waitFor('a checkpoint', async () => {
      const job: Job<TrainingJobData> | undefined = await queue.getJob(id);
      return job?.data.checkpoint && job.data.checkpoint.iteration > 0 ? job : null;
    });
    expect(await objects(`scratch/${NS}/cancel/`)).not.toEqual([]);

    const cancelledAt = Date.now();
    expect(await operatorSide.cancel(id, 'job deleted')).toBe('requested');
    await waitFor('the round failed', async () => (await running.getState()) === 'failed', 20_000);
    expect(Date.now() - cancelledAt).toBeLessThan(10_000);
    const failed = (await queue.getJob(id))!;
    expect(failed.failedReason).toMatch(/cancelled: job deleted/);
    expect(failed.attemptsMade).toBe(1); // UnrecoverableError: the operator's 'failed' is final
    expect(await operatorSide.getState(id)).toMatchObject({ state: 'failed' });
    expect(await objects(`scratch/${NS}/cancel/`)).toEqual([]);
    expect(await objects(`models/${NS}/cancel/`)).toEqual([]);
    expect(trainer.worker.isRunning()).toBe(true); // the worker goes on with other rounds

    await operatorSide.remove(id);
    expect(await queue.getJob(id)).toBeUndefined();
  });

  it('a cancelled round that had not started is removed from the queue', async () => {
    await trainer.worker.pause();
    try {
      const id = trainingJobId({ namespace: NS, job: 'early', uid: 'uid-b', round: 1, generation: 1 });
      await operatorSide.enqueue(id, data('early', 4));
      expect(await operatorSide.cancel(id, 'job deleted')).toBe('removed');
      expect(await queue.getJob(id)).toBeUndefined();
    } finally {
      trainer.worker.resume();
    }
  });

  it('a model another run left at the round key (a recreated job, artifacts retained) is replaced, not adopted', async () => {
    const oldId = trainingJobId({ namespace: NS, job: 'reuse', uid: 'uid-old', round: 1, generation: 1 });
    await operatorSide.enqueue(oldId, data('reuse', 4));
    const old = await (await queue.getJob(oldId))!.waitUntilFinished(events, 120_000);

    const newId = trainingJobId({ namespace: NS, job: 'reuse', uid: 'uid-new', round: 1, generation: 1 });
    await operatorSide.enqueue(newId, data('reuse', 4));
    const fresh = await (await queue.getJob(newId))!.waitUntilFinished(events, 120_000);
    const logs = (await queue.getJobLogs(newId)).logs;
    expect(logs.some((l) => /already published/.test(l))).toBe(false);
    expect(fresh.sha256).not.toBe(old.sha256);
    const zip = join(dir, 'reuse.zip');
    await store.getFile(bucket, modelKey(NS, 'reuse', 1), zip);
    expect((await readManifest(zip)).training?.trainingId).toBe(newId);
  });
});
