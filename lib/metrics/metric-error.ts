import { EdgeStlError } from '../errors/index.js';

/** Codes of {@link MetricError}. */
export type MetricErrorCode =
  'UNKNOWN_METRIC' | 'INVALID_PREDICTION' | 'UNKNOWN_CLASS' | 'PREDICTION_WITHOUT_GROUND_TRUTH';

/** A metric that cannot be computed from what it was given (bad name, malformed predict_dict, ...). */
export class MetricError extends EdgeStlError {
  declare readonly code: MetricErrorCode;

  constructor(code: MetricErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
