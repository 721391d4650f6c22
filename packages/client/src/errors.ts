import { TRPCClientError } from '@trpc/client';

/**
 * The platform's domain error codes (the same on every API surface), plus `SERVER_ERROR` for a 5xx answer or
 * a failed connection.
 */
export type TrainhubErrorCode =
  'NOT_FOUND' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'CONFLICT' | 'INVALID' | 'TOO_LARGE' | 'SERVER_ERROR';

/** tRPC's code for each domain code (what the server's error mapper sends). */
const FROM_TRPC: Record<string, TrainhubErrorCode> = {
  NOT_FOUND: 'NOT_FOUND',
  FORBIDDEN: 'FORBIDDEN',
  UNAUTHORIZED: 'UNAUTHENTICATED',
  CONFLICT: 'CONFLICT',
  BAD_REQUEST: 'INVALID',
  PARSE_ERROR: 'INVALID',
  PAYLOAD_TOO_LARGE: 'TOO_LARGE',
};
const FROM_STATUS: Record<number, TrainhubErrorCode> = {
  400: 'INVALID',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'TOO_LARGE',
  422: 'INVALID',
};

/** tRPC's error data: its code (`NOT_FOUND`, `BAD_REQUEST`, ...), the HTTP status and the procedure path. */
export interface TrpcErrorData {
  code: string;
  httpStatus: number;
  path?: string;
  stack?: string;
}

/**
 * At run time a TRPCClientError (tRPC's client passes those through unchanged), declared as a plain Error
 * with tRPC's fields so the published types need nothing of tRPC's.
 */
const ClientErrorBase = TRPCClientError as unknown as new (
  message: string,
  options?: { cause?: Error; result?: never },
) => Error & {
  /** tRPC's error data, when the error came from a tRPC answer. */
  readonly data: TrpcErrorData | null | undefined;
  /** The error as the server shaped it ({ message, code, data }), when it came from a tRPC answer. */
  readonly shape: unknown;
};

/**
 * Every error the client throws: `code` is the domain code, `status` the HTTP status (0 when no answer came).
 * `data` keeps tRPC's `{ code, httpStatus, path }` for errors of tRPC calls.
 */
export class TrainhubError extends ClientErrorBase {
  readonly code: TrainhubErrorCode;
  readonly status: number;
  constructor(
    message: string,
    options: { code: TrainhubErrorCode; status: number; cause?: unknown; result?: unknown },
  ) {
    super(message, {
      cause: options.cause instanceof Error ? options.cause : undefined,
      result: options.result as never,
    });
    // TRPCClientError's constructor sets its own prototype; the subclass's is put back (instanceof works).
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = new.target.name;
    this.code = options.code;
    this.status = options.status;
  }
}
/** The project, resource, task or execution does not exist or is not visible to the key (404). */
export class NotFoundError extends TrainhubError {}
/** The key's role does not allow the operation (403). */
export class ForbiddenError extends TrainhubError {}
/** No key, or an unknown, revoked or expired key (401). */
export class UnauthenticatedError extends TrainhubError {}
/** The operation conflicts with the current state, e.g. a duplicate name (409). */
export class ConflictError extends TrainhubError {}
/** The input was refused; the message names the field (400). */
export class InvalidInputError extends TrainhubError {}
/** The upload or request body is over the server's limit (413). */
export class TooLargeError extends TrainhubError {}
/** A 5xx answer, a failed connection or an answer the client cannot read. */
export class ServerError extends TrainhubError {}

const CLASSES: Record<TrainhubErrorCode, typeof TrainhubError> = {
  NOT_FOUND: NotFoundError,
  FORBIDDEN: ForbiddenError,
  UNAUTHENTICATED: UnauthenticatedError,
  CONFLICT: ConflictError,
  INVALID: InvalidInputError,
  TOO_LARGE: TooLargeError,
  SERVER_ERROR: ServerError,
};

/** The typed error for a domain code. */
export function trainhubError(
  code: TrainhubErrorCode,
  message: string,
  status: number,
  extra: { cause?: unknown; result?: unknown } = {},
): TrainhubError {
  return new CLASSES[code](message, { code, status, ...extra });
}

/** A tRPC client error (or anything thrown under a call) as the typed error of its domain code. */
export function fromTrpcError(error: unknown): TrainhubError {
  if (error instanceof TrainhubError) return error;
  const data = (error as { data?: { code?: string; httpStatus?: number } } | null)?.data;
  const status = data?.httpStatus ?? 0;
  const code = (data?.code && FROM_TRPC[data.code]) || FROM_STATUS[status] || 'SERVER_ERROR';
  const message = error instanceof Error ? error.message : String(error);
  const shape = (error as { shape?: unknown } | null)?.shape;
  return trainhubError(code, message, status, {
    cause: (error as { cause?: unknown } | null)?.cause ?? error,
    ...(shape ? { result: { error: shape } } : {}),
  });
}

/** An HTTP answer of the REST endpoints (uploads, downloads) that is not 2xx, as its typed error. */
export async function fromResponse(response: Response, what: string): Promise<TrainhubError> {
  const text = await response.text().catch(() => '');
  let message = text.slice(0, 500);
  try {
    const body = JSON.parse(text) as { message?: string; error?: string | { message?: string } };
    message = body.message ?? (typeof body.error === 'string' ? body.error : body.error?.message) ?? message;
  } catch {
    // not JSON: keep the text
  }
  const code = FROM_STATUS[response.status] ?? 'SERVER_ERROR';
  return trainhubError(
    code,
    `${what} failed (${response.status}): ${message || response.statusText}`,
    response.status,
  );
}
