/**
 * Base of every typed error in edge-stl. `message` is safe to show to a user; internal detail
 * travels in `cause` (logged, never shown), as the house rules ask.
 */
export class EdgeStlError extends Error {
  /** Stable machine-readable code, e.g. `INVALID_SPEC`, `CORRUPT_IMAGE`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
