import { EdgeStlError } from '../errors/index.js';

/** An image that cannot be decoded, or is not JPEG/PNG. The edge agent answers it with HTTP 400. */
export class CorruptImageError extends EdgeStlError {
  /** The file path or upload name of the image. */
  readonly file: string;

  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super('CORRUPT_IMAGE', `cannot decode image "${file}": ${reason}`, options);
    this.file = file;
  }
}
