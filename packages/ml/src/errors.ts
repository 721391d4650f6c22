/**
 * Error codes for deterministic input failures: a bad spec, bad data or bad settings. The same input fails
 * the same way every time, so a caller must not retry it. Any other thrown error is an infrastructure
 * failure (out of memory, a missing backend, an I/O error) and may be retried.
 */
export type MlInputErrorCode =
  | 'INVALID_SPEC'
  | 'UNSUPPORTED_LAYER'
  | 'SHAPE_MISMATCH'
  | 'MISSING_BASE_MODEL'
  | 'EXPERT_MODE_PYTHON'
  | 'INVALID_KERAS_JSON'
  | 'EMPTY_DATA'
  | 'RAGGED_ROW'
  | 'NON_NUMERIC'
  | 'NON_FINITE'
  | 'MISSING_COLUMN'
  | 'SINGLE_CLASS'
  | 'INVALID_DATA'
  | 'INVALID_PREPROCESSING'
  | 'INVALID_HYPERPARAMETERS'
  | 'INVALID_CHECKPOINT'
  | 'INVALID_ARTIFACTS'
  | 'MISSING_VALUES'
  | 'DUPLICATE_COLUMN'
  | 'DIVERGED'
  | 'BACKEND_UNAVAILABLE';

/** Thrown for bad specs, data, preprocessing or hyperparameters. Never retry: fail the job at once. */
export class MlInputError extends Error {
  override readonly name = 'MlInputError';
  constructor(
    readonly code: MlInputErrorCode,
    message: string,
    /** Where the problem is, when known (row and column are 1-based as a person counts them). */
    readonly details: { row?: number; column?: string | number; [key: string]: unknown } = {},
  ) {
    super(message);
  }
}

export function isMlInputError(error: unknown): error is MlInputError {
  return error instanceof MlInputError;
}
