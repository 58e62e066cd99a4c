import { EdgeStlError } from '../lib/errors/index.js';

/**
 * Thrown inside the processor when the worker is shutting down: the job was checkpointed and must be
 * handed back to the queue, not failed.
 */
export class TrainingReleasedError extends EdgeStlError {
  constructor(message = 'training released on shutdown') {
    super('TRAINING_RELEASED', message);
  }
}
