import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { registerBuiltins } from '../../lib/builtin-algorithms/register.js';
import { jobStoreResolver, type JobReader } from '../../cloud-trainer/job-stores.js';
import { startTrainer, type Trainer } from '../../cloud-trainer/trainer-worker.js';
import { TrainingInputError } from '../../cloud-trainer/training-input-error.js';
import { API_VERSION, KIND, type SingleTaskLearningJob } from '../../lib/api/v1alpha1/index.js';
import type { TrainingJobData, TrainingJobResult } from '../../lib/queue/training-queue.js';
import { StorageCredentialsError, type StorageCredentials } from '../../lib/storage/job-storage.js';
import { modelKey } from '../../lib/storage/layout.js';
import { testRedisUrl, testStore, uniqueBucket } from '../support/env.js';
import { onlyBucket } from '../support/only-bucket-store.js';
import { TINY_CLASSES, uploadTinyDataset } from './tiny-dataset.js';

const NS = 'team-a';
const real = testStore();
const jobBucket = uniqueBucket('trainer-creds');
const otherBucket = uniqueBucket('trainer-creds-other');
const KEYS = { accessKey: 'team-a-access', secretKey: 'team-a-secret' };

function job(name: string, bucket: string, secret = 's3-a'): SingleTaskLearningJob {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace: NS },
    spec: {
      dataset: { trainIndex: 's3://x/a', testIndex: 's3://x/b', classes: TINY_CLASSES },
      storage: { bucket, credentialsSecret: secret },
    },
  } as SingleTaskLearningJob;
}

/** Jobs and Secrets as the trainer's watch cache would have them. */
function reader(jobs: SingleTaskLearningJob[], secrets: Record<string, Record<string, string>>): JobReader {
  return {
    get: async ({ namespace, name }) =>
      jobs.find((j) => j.metadata?.namespace === namespace && j.metadata?.name === name) ?? null,
    getSecret: async (namespace, name) => secrets[`${namespace}/${name}`] ?? null,
  };
}

/** Team A's keys open team A's bucket only. */
const teamStores = (used: StorageCredentials[]) => (c: StorageCredentials) => {
  used.push(c);
  if (c.accessKey !== KEYS.accessKey || c.secretKey !== KEYS.secretKey) throw new Error('InvalidAccessKeyId');
  return onlyBucket(real, jobBucket);
};

function roundData(
  name: string,
  bucket: string,
  dataset: Partial<TrainingJobData['dataset']> = {},
): TrainingJobData {
  return {
    namespace: NS,
    job: name,
    round: 0,
    bucket,
    algorithm: { name: 'FPN', hyperparameters: { preset: 'tiny', max_iteration: 4 } },
    dataset: { trainIndex: '', testIndex: '', classes: TINY_CLASSES, ...dataset },
    evaluation: { metric: 'f1_score' },
  };
}

describe('trainer: each round reads S3 with its own job credentials', () => {
  it('opens the store with the Secret the round’s job names, and refuses a round whose bucket is not its job’s', async () => {
    const used: StorageCredentials[] = [];
    const resolve = jobStoreResolver(
      reader([job('pcb', jobBucket), job('no-secret', jobBucket, 'absent')], { [`${NS}/s3-a`]: KEYS }),
      teamStores(used),
    );
    const store = await resolve(roundData('pcb', jobBucket));
    expect(used).toEqual([KEYS]);
    await expect(store.stat(otherBucket, 'x')).rejects.toThrow(/AccessDenied/);
    await expect(resolve(roundData('pcb', otherBucket))).rejects.toBeInstanceOf(TrainingInputError);
    await expect(resolve(roundData('gone', jobBucket))).rejects.toThrow(/not found/);
    await expect(resolve(roundData('gone', jobBucket))).rejects.not.toBeInstanceOf(TrainingInputError);
    await expect(resolve(roundData('no-secret', jobBucket))).rejects.toBeInstanceOf(StorageCredentialsError);
  });

  describe('a whole round', () => {
    let dir: string;
    let trainer: Trainer;
    let queue: Queue<TrainingJobData, TrainingJobResult>;
    let events: QueueEvents;
    const prefix = `trainer-creds-${Date.now()}`;

    beforeAll(async () => {
      await registerBuiltins();
      await real.ensureBucket(jobBucket);
      dir = await mkdtemp(join(tmpdir(), 'trainer-creds-'));
      const opts = { connection: { url: testRedisUrl() }, prefix };
      queue = new Queue(prefix, opts);
      events = new QueueEvents(prefix, opts);
      await events.waitUntilReady();
      trainer = await startTrainer({
        redisUrl: testRedisUrl(),
        // The trainer's own keys open nothing the job uses: every access must go through the job's.
        store: onlyBucket(real, otherBucket),
        storeFor: jobStoreResolver(reader([job('pcb', jobBucket)], { [`${NS}/s3-a`]: KEYS }), teamStores([])),
        queueName: prefix,
        queuePrefix: prefix,
        workDir: dir,
        opsPort: null,
      });
    }, 60_000);

    afterAll(async () => {
      await trainer?.close();
      await events?.close();
      await queue?.obliterate({ force: true }).catch(() => undefined);
      await queue?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('fetches, trains, evaluates and publishes in the job’s bucket', async () => {
      const trainIndex = await uploadTinyDataset(real, jobBucket, 'datasets/tiny/train', 4, 1);
      const testIndex = await uploadTinyDataset(real, jobBucket, 'datasets/tiny/test', 2, 2);
      const added = await queue.add('train', roundData('pcb', jobBucket, { trainIndex, testIndex }), {
        attempts: 1,
      });
      const result = await added.waitUntilFinished(events, 120_000);
      expect(result.version).toBe('v0');
      expect(await real.stat(jobBucket, modelKey(NS, 'pcb', 0))).not.toBeNull();
    }, 150_000);
  });
});
