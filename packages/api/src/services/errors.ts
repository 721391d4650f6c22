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

/** The HTTP status each domain error answers with, on every surface (each style keeps its own body). */
export const DOMAIN_ERROR_STATUS: Record<DomainErrorCode, number> = {
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  UNAUTHENTICATED: 401,
  CONFLICT: 409,
  INVALID: 400,
  TOO_LARGE: 413,
};
