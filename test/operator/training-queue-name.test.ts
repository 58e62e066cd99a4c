import { randomBytes } from 'node:crypto';
import { Worker } from 'bullmq';
import { createLogger } from '../../lib/log.js';
import {
  parseTrainingJobId,
  TRAINING_JOB_OPTIONS,
  trainingJobId,
  trainingQueueName,
  type TrainingJobData,
} from '../../lib/queue/training-queue.js';
import { resolveTrainerConfig } from '../../cloud-trainer/config.js';
import { BullmqTrainingQueue } from '../../operator/adapters/bullmq-training-queue.js';
import { redisConnection } from '../../lib/infra/index.js';
import { testRedisUrl } from '../support/env.js';
import { roundData as data } from './support/round-data.js';

describe('one training queue setting for operator and trainer', () => {
  it('the operator enqueues on the queue named by --queue, where a trainer on the same name takes it', async () => {
    const connection = redisConnection(testRedisUrl());
    const prefix = `queue-name-${randomBytes(4).toString('hex')}`;
    const name = trainingQueueName('team-a.training');
    const operatorSide = new BullmqTrainingQueue({
      connection,
      prefix,
      queueName: name,
      log: createLogger('queue-test', { level: 'silent' }),
    });
    const taken: string[] = [];
    const trainer = new Worker<TrainingJobData>(name, async (job) => void taken.push(job.id ?? ''), {
      connection,
      prefix,
    });
    try {
      const jobId = trainingJobId({ namespace: 'ns', job: 'job', uid: 'test-uid', round: 1, generation: 1 });
      expect(await operatorSide.enqueue(jobId, data)).toEqual({ created: true });
      await new Promise<void>((resolve) => trainer.once('completed', () => resolve()));
      expect(taken).toEqual([jobId]);
      expect((await operatorSide.getState(jobId)).state).toBe('completed');
    } finally {
      await trainer.close();
      await operatorSide.close();
    }
  });

  it('without --prefix both sides use the same key prefix, and rounds carry TRAINING_JOB_OPTIONS', async () => {
    const connection = redisConnection(testRedisUrl());
    // A unique queue name keeps the shared Redis of parallel test runs apart under the default prefix.
    const name = `prefix-default-${randomBytes(4).toString('hex')}`;
    const operatorSide = new BullmqTrainingQueue({
      connection,
      queueName: name,
      log: createLogger('queue-test', { level: 'silent' }),
    });
    const { queuePrefix } = resolveTrainerConfig({ redisUrl: testRedisUrl() });
    const trainer = new Worker<TrainingJobData>(name, async () => undefined, {
      connection,
      prefix: queuePrefix,
    });
    try {
      const jobId = trainingJobId({
        namespace: 'ns',
        job: 'job',
        uid: 'prefix-uid',
        round: 1,
        generation: 1,
      });
      await operatorSide.enqueue(jobId, data);
      await new Promise<void>((resolve) => trainer.once('completed', () => resolve()));
      const job = await operatorSide.bullQueue.getJob(jobId);
      expect(job?.opts).toMatchObject({ ...TRAINING_JOB_OPTIONS, jobId });
      expect((await operatorSide.getState(jobId)).state).toBe('completed'); // kept for the operator to read
    } finally {
      await trainer.close();
      await operatorSide.bullQueue.obliterate({ force: true });
      await operatorSide.close();
    }
  });

  it('defaults to edge-stl-training and refuses names BullMQ would split', () => {
    expect(trainingQueueName(undefined)).toBe('edge-stl-training');
    for (const bad of ['a:b', '', ' x', 'a/b']) expect(() => trainingQueueName(bad)).toThrow(/--queue/);
  });

  it('round ids carry the object uid and generation, and parse back (names may hold dots)', () => {
    const id = {
      namespace: 'ns',
      job: 'line.a',
      uid: '0c5bd0a4-44f4-4a39-a3a8-6b1e0c9b5d21',
      round: 2,
      generation: 7,
    };
    expect(trainingJobId(id)).toBe('ns.line.a.0c5bd0a4-44f4-4a39-a3a8-6b1e0c9b5d21.r2.g7');
    expect(parseTrainingJobId(trainingJobId(id))).toEqual(id);
    expect(parseTrainingJobId('ns.job.r2')).toBeNull(); // an id from before uids is no round of any object
    expect(() => trainingJobId({ ...id, uid: 'a.b' })).toThrow(/uid/);
  });
});
