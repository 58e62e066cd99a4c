import type { TrainingJobData } from '../../../lib/queue/training-queue.js';

/** A training round's payload for tests that only move rounds through the queue. */
export const roundData: TrainingJobData = {
  namespace: 'ns',
  job: 'job',
  round: 1,
  bucket: 'edge-stl',
  algorithm: { name: 'fpn', hyperparameters: {} },
  dataset: { trainIndex: 's3://b/train.txt', testIndex: 's3://b/test.txt', classes: ['defect'] },
  evaluation: { metric: 'f1_score' },
};
