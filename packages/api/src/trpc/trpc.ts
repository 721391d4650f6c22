import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import type { Principal } from '../auth/principal';
import { parseAuthorization, principalFromApiKey, principalFromUserId } from '../auth/resolve';
import { DomainError } from '../services/errors';
import { TrainingRefusedError } from '../services/training-validation';
import { fieldErrorsOf } from './routers/inputs';
import type { RestDeps } from '../deps';

export interface TrpcContext {
  deps: RestDeps;
  principal: Principal | null;
}

/** A host app's signed-in user: the id and when the session was issued (seconds, a JWT's `iat`). */
export interface SessionUser {
  userId: string;
  issuedAt?: number;
}

/** How the host app recognizes its own signed-in users (the web UI: its next-auth JWT cookie). */
export interface TrpcAuth {
  sessionUser?: (request: Request) => Promise<SessionUser | null>;
}

/**
 * The caller of a tRPC request: an API key (`x-api-key` or `Authorization: Bearer`), else the host app's
 * signed-in user (the web UI's next-auth JWT cookie, read by `hostAuth.sessionUser`); null when neither.
 */
export async function createTrpcContext(
  deps: RestDeps,
  request: Request,
  hostAuth: TrpcAuth = {},
): Promise<TrpcContext> {
  const auth = parseAuthorization(request.headers.get('authorization'));
  const key = request.headers.get('x-api-key') ?? (auth?.scheme === 'bearer' ? auth.token : null);
  if (key) return { deps, principal: await principalFromApiKey(deps.db, key) };
  const session = await hostAuth.sessionUser?.(request);
  if (session) {
    return {
      deps,
      principal: await principalFromUserId(deps.db, session.userId, { issuedAt: session.issuedAt }),
    };
  }
  return { deps, principal: null };
}

/** The validation issues a refused input's error carries (tRPC's input parser puts them on its cause). */
function issuesOf(error: TRPCError): Parameters<typeof fieldErrorsOf>[0] | null {
  const issues = (error.cause as { issues?: unknown } | undefined)?.issues;
  return error.code === 'BAD_REQUEST' && Array.isArray(issues) ? { issues } : null;
}

// The training check names fields the way the MLW request does (services/training-validation.ts); these are
// the same fields in `tasks.train`'s input (a field not listed stays a form-level message).
const TRAINING_FIELDS: Record<string, string> = {
  optimizer: 'hyperparameters.optimizer',
  loss: 'hyperparameters.loss',
  metrics: 'hyperparameters.metrics',
  'earlyStopping.monitor': 'hyperparameters.earlyStopping',
  problemType: 'problemType',
  codeID: 'codeResourceId',
  code: 'codeResourceId',
  dataID: 'datasetResourceId',
  file: 'datasetResourceId',
  columns: 'datasetResourceId',
  'labels.classes': 'datasetResourceId',
  target: 'labelColumn',
};

/**
 * A refused training's field as a path of `tasks.train`'s input (`optimizer` -> `hyperparameters.optimizer`),
 * or null when the check named no field or one the input has no place for. The network's problems (`layers[2]`,
 * `input.shape`, `model`) go to the dense layers when the input listed them, else to the architecture file.
 */
export function trainingRefusalPath(error: unknown, input: unknown): string | null {
  const cause = error instanceof TRPCError ? error.cause : error;
  if (!(cause instanceof TrainingRefusedError) || !cause.details.field) return null;
  const field = cause.details.field;
  if (/^(layers\[\d+\]|input\.shape|model)$/.test(field)) {
    return Array.isArray((input as { layers?: unknown } | null)?.layers)
      ? 'layers'
      : 'architectureResourceId';
  }
  return TRAINING_FIELDS[field] ?? null;
}

const DOMAIN_TO_TRPC = {
  NOT_FOUND: 'NOT_FOUND',
  FORBIDDEN: 'FORBIDDEN',
  UNAUTHENTICATED: 'UNAUTHORIZED',
  CONFLICT: 'CONFLICT',
  INVALID: 'BAD_REQUEST',
  TOO_LARGE: 'PAYLOAD_TOO_LARGE',
} as const;

// superjson on the wire: inputs and answers keep their Dates (and Maps, Sets, BigInts, undefined) where JSON
// would turn them into strings. Every client sets the same transformer on its terminating links
// (@trainhub/client does); a raw HTTP caller sends `{"json": <input>}` and reads `result.data.json`.
// A refused input also names its fields (`data.fieldErrors`, by dotted path: `hyperparameters.epochs`), so a
// form shows each message at its field, as does a training the training check refuses at one field (its
// message under the input's path: `hyperparameters.optimizer`); null for other errors.
const t = initTRPC.context<TrpcContext>().create({
  transformer: superjson,
  errorFormatter: ({ shape, error, input }) => {
    const issues = issuesOf(error);
    const trainingPath = issues ? null : trainingRefusalPath(error, input);
    const fieldErrors = issues
      ? fieldErrorsOf(issues)
      : trainingPath
        ? { [trainingPath]: error.message }
        : null;
    return { ...shape, data: { ...shape.data, fieldErrors } };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** A domain error as the tRPC error with its meaning and message; anything else unchanged. */
function toTrpcError(error: unknown): unknown {
  const cause = error instanceof TRPCError ? error.cause : error;
  if (!(cause instanceof DomainError)) return error;
  return new TRPCError({ code: DOMAIN_TO_TRPC[cause.code], message: cause.message, cause });
}

async function* mapStreamErrors<T>(stream: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* stream;
  } catch (error) {
    throw toTrpcError(error);
  }
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';

/**
 * tRPC's one error mapper: domain errors keep their meaning and message, also those a subscription throws
 * while it streams (its generator runs after this middleware has returned).
 */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const mapped = toTrpcError(result.error);
    if (mapped !== result.error) throw mapped;
    return result;
  }
  if (isAsyncIterable(result.data)) return { ...result, data: mapStreamErrors(result.data) };
  return result;
});

export const publicProcedure = t.procedure.use(mapErrors);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.principal) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'sign in or send an API key' });
  return next({ ctx: { ...ctx, principal: ctx.principal } });
});

export { teamInput } from './routers/inputs';
