import { EdgeStlError } from '../errors/index.js';

/** Codes of {@link DatasetError}. */
export type DatasetErrorCode =
  | 'INVALID_INDEX'
  | 'INVALID_ANNOTATION'
  | 'DATASET_FILE_MISSING'
  | 'DATASET_UNREADABLE'
  | 'DATASET_STORE_MISSING';

/**
 * A dataset the user must fix: a malformed `index.txt` line, a corrupt VOC file, a missing image.
 * The message names the file (and line, when there is one); the low-level error travels in `cause`.
 */
export class DatasetError extends EdgeStlError {
  declare readonly code: DatasetErrorCode;
  /** The index or annotation file at fault (local path or s3:// URI). */
  readonly file: string;
  /** 1-based line number in `file`, when the fault is on a line. */
  readonly line?: number;

  constructor(
    code: DatasetErrorCode,
    message: string,
    details: { file: string; line?: number; cause?: unknown },
  ) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.file = details.file;
    if (details.line !== undefined) this.line = details.line;
  }
}
