import { randomBytes } from 'node:crypto';
import { Worker } from 'bullmq';
import { createLogger } from '../../lib/log.js';
import { redisConnection } from '../../lib/infra/index.js';
import {
  TRAINING_QUEUE,
  trainingJobId,
  type TrainingJobData,
  type TrainingJobProgress,
} from '../../lib/queue/training-queue.js';
import { BullmqTrainingQueue } from '../../operator/adapters/bullmq-training-queue.js';
import { testRedisUrl } from '../support/env.js';
import { roundData as data } from './support/round-data.js';

describe('training progress through the TrainingQueue port', () => {
  it('reads what the running round last reported; null before its first report and for no such round', async () => {
    const connection = redisConnection(testRedisUrl());
    const prefix = `queue-progress-${randomBytes(4).toString('hex')}`;
    const queue = new BullmqTrainingQueue({
      connection,
      prefix,
      log: createLogger('progress-test', { level: 'silent' }),
    });
    const reported: TrainingJobProgress = { stage: 'training', iteration: 7, maxIteration: 20, loss: 0.5 };
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    let signalReported!: () => void;
    const wasReported = new Promise<void>((resolve) => (signalReported = resolve));
    const jobId = trainingJobId({ namespace: 'ns', job: 'job', uid: 'uid', round: 0, generation: 1 });
    try {
      expect(await queue.getProgress(jobId)).toBeNull();
      await queue.enqueue(jobId, data);
      expect(await queue.getProgress(jobId)).toBeNull();
      const trainer = new Worker<TrainingJobData>(
        TRAINING_QUEUE,
        async (job) => {
          await job.updateProgress(reported);
          signalReported();
          await finished;
        },
        { connection, prefix },
      );
      try {
        await wasReported;
        expect(await queue.getProgress(jobId)).toEqual(reported);
        finish();
      } finally {
        finish();
        await trainer.close();
      }
    } finally {
      await queue.close();
    }
  });
});
