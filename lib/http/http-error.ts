import { EdgeStlError } from '../errors/index.js';

/**
 * An error a service answers over HTTP: `code` is stable for clients, `statusCode` picks the
 * reply, `message` is safe to show. Internal detail travels in `cause` and is only logged.
 */
export class HttpError extends EdgeStlError {
  readonly statusCode: number;

  constructor(statusCode: number, code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.statusCode = statusCode;
  }
}
