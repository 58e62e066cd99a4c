import { EdgeStlError } from './edge-stl-error.js';

/** A command line or configuration the user must fix; the CLI prints it with usage and exits 2. */
export class UsageError extends EdgeStlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('USAGE', message, options);
  }
}
