export { startTrainer, type Trainer } from './trainer-worker.js';
export { resolveTrainerConfig, type TrainerConfig } from './config.js';
export { createTrainingProcessor, type ProcessorDeps, type TrainingJob } from './training-processor.js';
export { DatasetCache, type CacheStats } from '../lib/dataset/dataset-cache.js';
export { ModelPublisher } from './model-publisher.js';
export { TrainingInputError } from './training-input-error.js';
