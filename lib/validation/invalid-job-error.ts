import { EdgeStlError } from '../errors/index.js';
import { displayPath } from './json-path.js';
import type { ValidationError } from './types.js';

/** A SingleTaskLearningJob that failed validation; `errors` holds every problem with its path. */
export class InvalidJobError extends EdgeStlError {
  readonly errors: ValidationError[];

  constructor(errors: ValidationError[]) {
    super('INVALID_SPEC', `invalid SingleTaskLearningJob: ${formatErrors(errors).join('; ')}`);
    this.errors = errors;
  }
}

/** `path: message` lines, the way the CLI and conditions show them. */
export function formatErrors(errors: readonly ValidationError[]): string[] {
  return errors.map((e) => `${displayPath(e.path)}: ${e.message}`);
}
