export { startOperator, type OperatorConfig, type RunningOperator } from './operator.js';
export { Reconciler } from './reconciler.js';
export { WorkQueue, type HandlerResult, type WorkQueueOptions } from './work-queue.js';
export { OperatorMetrics } from './metrics.js';
export * from './ports/index.js';
export { LocalJobStore, type LocalJobStoreOptions } from './adapters/local-job-store.js';
export { BullmqTrainingQueue, type BullmqTrainingQueueOptions } from './adapters/bullmq-training-queue.js';
