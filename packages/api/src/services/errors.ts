/**
 * Domain errors every API surface maps to its own error shape. `code` is stable; `message` is safe to
 * show to the caller.
 */
export type DomainErrorCode =
  'NOT_FOUND' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'CONFLICT' | 'INVALID' | 'TOO_LARGE';

export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
  }
}
