import { EdgeStlError } from '../errors/index.js';

/** Why a model package was refused or could not be built. */
export type ModelPackageErrorCode =
  | 'NOT_A_ZIP'
  | 'UNSAFE_PATH'
  | 'SYMLINK'
  | 'UNSUPPORTED_ENTRY'
  | 'DUPLICATE_ENTRY'
  | 'TOO_MANY_ENTRIES'
  | 'ENTRY_TOO_LARGE'
  | 'TOTAL_TOO_LARGE'
  | 'SIZE_MISMATCH'
  | 'MISSING_MANIFEST'
  | 'INVALID_MANIFEST'
  | 'DEST_EXISTS'
  | 'INVALID_INPUT';

/** A model package that is unsafe, malformed or over a limit. `message` names the entry and the rule. */
export class ModelPackageError extends EdgeStlError {
  declare readonly code: ModelPackageErrorCode;

  constructor(code: ModelPackageErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
