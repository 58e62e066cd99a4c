import { EdgeStlError } from '../lib/errors/index.js';

/**
 * Input the trainer can never succeed with (a missing dataset, an unreadable image, an unknown
 * algorithm, an invalid hyperparameter). The processor turns it into BullMQ's `UnrecoverableError`,
 * so the job fails at once instead of burning its retries.
 */
export class TrainingInputError extends EdgeStlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BAD_TRAINING_INPUT', message, options);
  }
}
