import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { zipSync, strToU8 } from 'fflate';
import type { z } from 'zod';
import type { ExecutionStatus } from '@trainhub/db';
import {
  MODEL_FILE,
  baseModelFile,
  hasBaseModel,
  isBaseModelName,
  resolveBaseModel,
} from '@trainhub/ml/model-store';
import type { Principal } from '../../auth/principal';
import { parseAuthorization, principalFromApiKey } from '../../auth/resolve';
import { requireProject } from '../../services/access';
import { DomainError, DOMAIN_ERROR_STATUS } from '../../services/errors';
import {
  activeSession,
  discardSessionFiles,
  failureOf,
  isModelReady,
  monitorSession,
  preprocessSession,
  sessionByKey,
  sessionKeyOf,
  sessionResult,
  setSessionConfig,
  setSessionDatasets,
  startSession,
  startSessionTraining,
  stopSessionTraining,
  storeSessionFiles,
  uploadableSession,
  type SessionConfig,
  type SessionStatus,
  type SessionWithExecution,
} from '../../services/sessions';
import {
  BadRequestError,
  ContractError,
  MethodNotAllowedError,
  fileResponse,
  json,
  route,
  type AuthMode,
  type RestStyle,
  type RouteContext,
  type RouteDef,
  type RouteSpec,
} from '../http';
import {
  TM_BASE,
  forceRestartQuery,
  healthcheckSchema,
  importModelQuery,
  importedModelQuery,
  keyParams,
  serverStatusSchema,
  trainingConfigParamsSchema,
} from './contracts';
import {
  HttpException,
  RequestValidationError,
  fastapiBody,
  fastapiErrors,
  fastapiJson,
  internalServerError,
  throwIfInvalid,
  validationErrorResponse,
  type FastApiError,
} from './fastapi';
import { drain, formParts } from './form';

/**
 * FastAPI's answers for every failure: 422 `{"detail":[{type, loc, msg, input[, ctx]}]}` for request
 * validation (byte for byte, ./fastapi.ts), `{"detail": "..."}` with the status otherwise (HTTPException),
 * 405 with an `allow` header, and Starlette's plain-text 500 for anything unexpected.
 */
export function tmErrorResponse(error: unknown): Response {
  if (error instanceof RequestValidationError) return validationErrorResponse(error.errors);
  if (error instanceof HttpException)
    return fastapiJson({ detail: error.detail }, error.status, error.headers);
  if (error instanceof ContractError) {
    // FastAPI validates path, query and body together and lists every error; a missing body field's input
    // is the enclosing object (pydantic's own error), a missing parameter's null.
    return validationErrorResponse(
      error.failures.flatMap((f) =>
        fastapiErrors(f.issues, f.location, f.received, f.location === 'body' ? 'enclosing' : 'null'),
      ),
    );
  }
  if (error instanceof MethodNotAllowedError) {
    return fastapiJson({ detail: 'Method Not Allowed' }, 405, { allow: error.allow.join(', ') });
  }
  if (error instanceof BadRequestError) return fastapiJson({ detail: error.message }, error.status);
  if (error instanceof DomainError) {
    return fastapiJson({ detail: error.message }, DOMAIN_ERROR_STATUS[error.code]);
  }
  console.error('training-module: unexpected error', error instanceof Error ? error.stack : String(error));
  return internalServerError();
}

/**
 * The style's credentials: `x-api-key` or `Authorization: Bearer <api key>` (FastAPI's APIKeyHeader and
 * HTTPBearer). Routes under a session key take their credential from the path instead (auth `none`).
 * @throws HttpException 401 "Not authenticated" without a key (when required), "Invalid API key" for a bad one.
 */
async function authenticate(ctx: RouteContext, required: boolean): Promise<Principal | null> {
  const auth = parseAuthorization(ctx.request.headers.get('authorization'));
  const key = ctx.request.headers.get('x-api-key') ?? (auth?.scheme === 'bearer' ? auth.token : null);
  if (!key) {
    if (!required) return null;
    throw new HttpException(401, 'Not authenticated');
  }
  const principal = await principalFromApiKey(ctx.deps.db, key);
  if (!principal) throw new HttpException(401, 'Invalid API key');
  return principal;
}

const STATE = { SETUP: 'setup', PREPROCESSING: 'preprocessing', TRAINING: 'training', DONE: 'done' } as const;
const TRAINING_STATUS: Record<ExecutionStatus, string> = {
  QUEUED: 'queued',
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  STOPPED: 'stopped',
  CANCELLED: 'cancelled',
};

/**
 * The "server status dictionary" every answer carries: the session's current state, config, datasets,
 * preprocessing and training status, whether the model is ready, and why it failed (`error`).
 */
function statusOf(session: SessionWithExecution, message: string, extra: Record<string, unknown> = {}) {
  const status = (session.status ?? {}) as SessionStatus;
  const execution = session.execution;
  return {
    state: STATE[session.state],
    message,
    config: session.config as SessionConfig,
    datasets: { train_file: status.trainFile ?? null, test_file: status.testFile ?? null },
    preprocess_status: status.preprocess?.status ?? (session.state === 'SETUP' ? 'not started' : 'done'),
    training_status: execution ? TRAINING_STATUS[execution.status] : null,
    job_id: execution?.id ?? null,
    model_ready: isModelReady(session),
    error: failureOf(session),
    ...extra,
  };
}

/** A message that leads with the failure, when there is one. */
const orFailure = (session: SessionWithExecution, message: string) => {
  const failure = failureOf(session);
  if (!failure) return message;
  const status = (session.status ?? {}) as SessionStatus;
  return status.preprocess?.status === 'failed'
    ? `preprocessing failed: ${failure}`
    : `training failed: ${failure}`;
};

/** The request body's bytes (413 beyond the JSON limit). */
async function bodyBytes(request: Request, limit: number): Promise<Uint8Array> {
  if (Number(request.headers.get('content-length') ?? '0') > limit)
    throw new HttpException(413, `the request body is larger than ${limit} bytes`);
  if (!request.body) return new Uint8Array();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of Readable.fromWeb(request.body as NodeReadableStream<Uint8Array>)) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpException(413, `the request body is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A request body as FastAPI hands it to the body model (./fastapi.ts fastapiBody; 413 beyond `limit`). */
const readBody = async (request: Request, limit: number) =>
  fastapiBody(await bodyBytes(request, limit), request.headers.get('content-type'));

/**
 * What FastAPI answers before a route runs: HEAD is not GET (405, `allow` the route's method), a trailing
 * slash is a 307 to the path without it (Starlette's redirect_slashes).
 */
function before(def: RouteDef, ctx: RouteContext): Response | null {
  if (ctx.request.method !== def.method) {
    // HEAD (which the router hands to GET routes): 405 without a body, as a server answers HEAD.
    const head = tmErrorResponse(new MethodNotAllowedError([def.method]));
    return new Response(null, { status: head.status, headers: head.headers });
  }
  if (ctx.url.pathname.length > 1 && ctx.url.pathname.endsWith('/')) {
    const location = `${ctx.url.origin}${ctx.url.pathname.replace(/\/+$/, '')}${ctx.url.search}`;
    return new Response(null, { status: 307, headers: { location } });
  }
  return null;
}

/** A route of this style: tagged, and documented as taking an API key unless it needs none. */
function tmRoute<
  P extends z.ZodObject | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  A extends AuthMode = 'required',
>(spec: Omit<RouteSpec<P, Q, B, A>, 'tags' | 'security'>): RouteDef {
  return route<P, Q, B, A>({
    tags: ['Training module'],
    security: spec.auth === 'none' ? [] : ['ApiKeyAuthentication', 'bearerAuth'],
    ...spec,
  });
}

const ok = (body: unknown) => json(body, 200, { 'content-type': 'application/json' });

/** The form fields of the upload, in declaration order (FastAPI reports them in this order). */
const UPLOAD_FILES = ['train_file', 'test_file'] as const;

/**
 * FastAPI's check of `UploadFile` form parameters against what the form held (the last part of each name):
 * absent or `""` is `missing` (input null), a text value is the value_error FastAPI's UploadFile validator
 * raises.
 */
function uploadErrors(form: Map<string, { kind: 'file' } | { kind: 'str'; value: string }>): FastApiError[] {
  const errors: FastApiError[] = [];
  for (const name of UPLOAD_FILES) {
    const part = form.get(name);
    if (!part || (part.kind === 'str' && part.value === '')) {
      errors.push({ type: 'missing', loc: ['body', name], msg: 'Field required', input: null });
    } else if (part.kind === 'str') {
      errors.push({
        type: 'value_error',
        loc: ['body', name],
        msg: "Value error, Expected UploadFile, received: <class 'str'>",
        input: part.value,
        ctx: { error: {} },
      });
    }
  }
  return errors;
}

/** Swagger UI and ReDoc pages as FastAPI serves them (same CDN assets). */
const docsPage = (title: string, body: string) =>
  new Response(`<!DOCTYPE html>\n<html>\n<head>\n<title>${title}</title>\n${body}`, {
    headers: { 'content-type': 'text/html; charset=utf-8' },
  });

export const tmRoutes: RouteDef[] = [
  tmRoute({
    method: 'GET',
    path: '/openapi.json',
    operationId: 'openapi',
    summary: 'This style’s OpenAPI document (paths relative to the style’s root, as FastAPI serves it)',
    response: 'file',
    hidden: true,
    auth: 'none',
    async handler() {
      const { trainingModuleOpenApi } = await import('./openapi');
      return ok(await trainingModuleOpenApi());
    },
  }),
  tmRoute({
    method: 'GET',
    path: '/docs',
    operationId: 'swagger_ui',
    summary: 'Swagger UI',
    response: 'file',
    hidden: true,
    auth: 'none',
    async handler() {
      return docsPage(
        'Trainhub training module - Swagger UI',
        `<link type="text/css" rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>
const ui = SwaggerUIBundle({ url: '${TM_BASE}/openapi.json', dom_id: '#swagger-ui', layout: 'BaseLayout', deepLinking: true, showExtensions: true, showCommonExtensions: true, presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset] })
</script>
</body>
</html>`,
      );
    },
  }),
  tmRoute({
    method: 'GET',
    path: '/redoc',
    operationId: 'redoc',
    summary: 'ReDoc',
    response: 'file',
    hidden: true,
    auth: 'none',
    async handler() {
      return docsPage(
        'Trainhub training module - ReDoc',
        `<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body>
<redoc spec-url="${TM_BASE}/openapi.json"></redoc>
<script src="https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"></script>
</body>
</html>`,
      );
    },
  }),
  tmRoute({
    method: 'GET',
    path: '/healthcheck',
    operationId: 'healthcheck',
    summary: 'Healthcheck',
    response: healthcheckSchema,
    auth: 'none',
    async handler() {
      return ok({ status: 'ok', message: 'training module is up' });
    },
  }),
  tmRoute({
    method: 'GET',
    path: '/start_session',
    operationId: 'start_session',
    summary: 'Start a new session and return its key (force_restart != 0 wipes the active one)',
    query: forceRestartQuery,
    response: serverStatusSchema,
    async handler({ principal, query, deps }) {
      const { session, key } = await startSession(deps.db, principal, {
        forceRestart: (query.force_restart ?? 0) !== 0,
        keySecret: deps.jwtSecret,
      });
      return ok(statusOf(session, 'session started', { key }));
    },
  }),
  tmRoute({
    method: 'POST',
    path: '/parameters/{key}',
    operationId: 'update_training_config',
    summary: 'Update the training config (setup state only)',
    params: keyParams,
    body: trainingConfigParamsSchema,
    response: serverStatusSchema,
    auth: 'none',
    async handler({ params, body, deps }) {
      const session = await setSessionConfig(deps.db, params.key, body);
      return ok(statusOf({ ...session, execution: null }, 'config updated'));
    },
  }),
  tmRoute({
    method: 'GET',
    path: '/parameters',
    operationId: 'return_training_config',
    summary: 'The active session’s training config and its key (null for a viewer)',
    response: serverStatusSchema,
    async handler({ principal, deps }) {
      const session = await activeSession(deps.db, principal);
      // The key acts as an editor of the session's project: shown to callers who could start one (editors
      // and above), null for viewers.
      const editor = await requireProject(deps.db, principal, session.projectId, 'EDITOR').then(
        () => true,
        () => false,
      );
      const key = editor ? sessionKeyOf(session, deps.jwtSecret) : null;
      return ok(statusOf(session, 'current config', { key }));
    },
  }),
  tmRoute({
    method: 'POST',
    path: '/upload_dataset/{key}',
    operationId: 'upload_dataset',
    summary: 'Upload train_file and test_file (multipart; setup state only)',
    params: keyParams,
    multipart: { files: [...UPLOAD_FILES] },
    response: serverStatusSchema,
    auth: 'none',
    async handler({ params, deps, request }) {
      // FastAPI reads and validates the whole form before the endpoint runs: files go to the store as they
      // stream in only when the key opens a session in setup; otherwise they are read and dropped, and a
      // form error (422) still comes before the key's or the state's answer.
      const target = await uploadableSession(deps.db, params.key);
      const form = new Map<string, { kind: 'file' } | { kind: 'str'; value: string }>();
      const parts = formParts(request, { maxFileBytes: deps.uploadLimitBytes });
      const wanted = async function* () {
        for await (const part of parts) {
          if (part.kind === 'str') form.set(part.name, part);
          else {
            form.set(part.name, { kind: 'file' });
            if ('session' in target && (UPLOAD_FILES as readonly string[]).includes(part.name))
              yield part.file;
            else await drain(part.file.body);
          }
        }
      };
      let stored: Awaited<ReturnType<typeof storeSessionFiles>> = [];
      if ('session' in target) stored = await storeSessionFiles(deps, target.session, wanted());
      else for await (const _ of wanted()) void _;
      const errors = uploadErrors(form);
      const chosen = UPLOAD_FILES.map((name) => stored.filter((s) => s.field === name).at(-1));
      const unused = stored.filter((s) => !chosen.includes(s)).map((s) => s.resource);
      if (errors.length || !('session' in target)) {
        await discardSessionFiles(
          deps,
          stored.map((s) => s.resource),
        );
        throwIfInvalid(errors);
        throw (target as { error: unknown }).error;
      }
      await discardSessionFiles(deps, unused);
      try {
        const session = await setSessionDatasets(
          deps.db,
          target.session,
          chosen[0]!.resource,
          chosen[1]!.resource,
        );
        return ok(statusOf({ ...session, execution: null }, 'datasets uploaded'));
      } catch (error) {
        await discardSessionFiles(
          deps,
          chosen.map((s) => s!.resource),
        );
        throw error;
      }
    },
  }),
  tmRoute({
    method: 'POST',
    path: '/preprocess/{key}',
    operationId: 'preprocess',
    summary: 'Preprocess the datasets (setup -> preprocessing)',
    params: keyParams,
    response: serverStatusSchema,
    auth: 'none',
    async handler({ params, deps }) {
      const session = await preprocessSession(deps, params.key);
      return ok(statusOf({ ...session, execution: null }, 'preprocessing done'));
    },
  }),
  tmRoute({
    method: 'GET',
    path: '/preprocess_status',
    operationId: 'get_preprocess_status',
    summary: 'Preprocessing status of the active session',
    response: serverStatusSchema,
    async handler({ principal, deps }) {
      const session = await activeSession(deps.db, principal);
      return ok(statusOf(session, orFailure(session, 'preprocess status')));
    },
  }),
  tmRoute({
    method: 'POST',
    path: '/training/start/{key}',
    operationId: 'start_training',
    summary: 'Start training (preprocessing -> training)',
    params: keyParams,
    response: serverStatusSchema,
    auth: 'none',
    async handler({ params, deps }) {
      const session = await startSessionTraining(deps.db, params.key);
      return ok(statusOf(session, 'training started'));
    },
  }),
  tmRoute({
    method: 'POST',
    path: '/training/stop/{key}',
    operationId: 'stop_training',
    summary:
      'Stop training early; the model trained so far is kept (force_restart != 0 wipes the session instead)',
    params: keyParams,
    query: forceRestartQuery,
    response: serverStatusSchema,
    auth: 'none',
    async handler({ params, query, deps }) {
      const session = await stopSessionTraining(deps.db, params.key, {
        forceRestart: (query.force_restart ?? 0) !== 0,
      });
      return ok(
        session.wiped
          ? statusOf(session, 'session wiped: start a new one with GET /start_session', { key: null })
          : statusOf(session, 'stop requested: the model trained so far is kept'),
      );
    },
  }),
  tmRoute({
    method: 'GET',
    path: '/status',
    operationId: 'get_status',
    summary: 'Status of the active session',
    response: serverStatusSchema,
    async handler({ principal, deps }) {
      const session = await activeSession(deps.db, principal);
      return ok(statusOf(session, orFailure(session, 'status')));
    },
  }),
  tmRoute({
    method: 'GET',
    path: '/monitor/{key}',
    operationId: 'monitor',
    summary: 'The last epoch of the training',
    params: keyParams,
    response: serverStatusSchema,
    auth: 'none',
    async handler({ params, deps }) {
      const { session, lastEpoch } = await monitorSession(deps.db, params.key);
      return ok(
        statusOf(
          session,
          orFailure(session, lastEpoch ? `epoch ${lastEpoch.epoch}` : 'no epoch finished yet'),
          {
            epoch: lastEpoch?.epoch ?? null,
            metrics: lastEpoch ? { loss: lastEpoch.loss, ...lastEpoch.metrics } : null,
          },
        ),
      );
    },
  }),
  tmRoute({
    method: 'GET',
    path: '/model_ready/{key}',
    operationId: 'model_ready',
    summary: 'Whether the model is trained (after a completed or a stopped training)',
    params: keyParams,
    response: serverStatusSchema,
    auth: 'none',
    async handler({ params, deps }) {
      const session = await sessionByKey(deps.db, params.key);
      return ok(
        statusOf(session, orFailure(session, isModelReady(session) ? 'model ready' : 'model not ready')),
      );
    },
  }),
  tmRoute({
    method: 'GET',
    path: '/download_model/{key}',
    operationId: 'download_model',
    summary: 'The trained model: a zip of the model files and metadata.json',
    params: keyParams,
    response: 'file',
    auth: 'none',
    async handler({ params, deps }) {
      const { session, execution, model, history } = await sessionResult(deps.db, params.key);
      const bytes = await deps.store.get(model.storageKey);
      const metadata = {
        model: model.name,
        contentHash: model.contentHash,
        config: session.config,
        task_id: execution.taskId,
        job_id: execution.id,
        training_status: TRAINING_STATUS[execution.status],
        finished: execution.finishedAt?.toISOString() ?? null,
        metrics: execution.metrics,
        epochs: history.length,
      };
      const zip = zipSync({
        [`model/${model.name}`]: new Uint8Array(bytes),
        'metadata.json': strToU8(JSON.stringify(metadata, null, 2)),
      });
      return fileResponse(Buffer.from(zip), `model-${execution.id}.zip`, 'application/zip', zip.length);
    },
  }),
  tmRoute({
    method: 'GET',
    path: '/download_results/{key}',
    operationId: 'download_results',
    summary: 'The test-set results (JSON: metrics on the test file and the per-epoch history)',
    params: keyParams,
    response: 'file',
    auth: 'none',
    async handler({ params, deps }) {
      const { execution, history } = await sessionResult(deps.db, params.key);
      const body = JSON.stringify(
        {
          job_id: execution.id,
          training_status: TRAINING_STATUS[execution.status],
          test_metrics: execution.metrics,
          history: history.map(({ createdAt: _c, ...row }) => row),
        },
        null,
        2,
      );
      return fileResponse(Buffer.from(body), `results-${execution.id}.json`, 'application/json');
    },
  }),
  tmRoute({
    method: 'POST',
    path: '/import_model/{key}',
    operationId: 'import_model',
    summary: 'Import a pretrained model from the local model store (PRETRAINED_MODELS_DIR)',
    params: keyParams,
    query: importModelQuery,
    response: serverStatusSchema,
    auth: 'none',
    async handler({ params, query, deps }) {
      const session = await sessionByKey(deps.db, params.key);
      const { model_type, model_name } = query;
      const dir = deps.pretrainedModelsDir;
      const safe = model_name.replace(/[^\w.-]/g, '_');
      // The model store (@trainhub/ml/model-store) knows the layout; `.` and `..` are no model names.
      if (!dir || !hasBaseModel(dir, safe)) {
        throw new DomainError(
          'NOT_FOUND',
          dir
            ? `model ${model_name} is not in the local model store (${isBaseModelName(safe) ? `${baseModelFile(dir, safe)} is missing` : 'not a model name'})`
            : `models cannot be downloaded here: set PRETRAINED_MODELS_DIR to a folder holding ${safe}/${MODEL_FILE}`,
        );
      }
      const status = (session.status ?? {}) as SessionStatus & { imported?: unknown };
      // Its folder goes with it: the session's training puts the base under its layers (startSessionTraining).
      const folder = resolveBaseModel(dir, safe);
      await deps.db.trainingSession.update({
        where: { id: session.id },
        data: { status: { ...status, imported: { model_type, model_name: safe, folder } } },
      });
      return ok(statusOf(session, `model ${safe} imported`));
    },
  }),
  tmRoute({
    method: 'GET',
    path: '/import_status',
    operationId: 'import_status',
    summary: 'Import status of the active session',
    response: serverStatusSchema,
    async handler({ principal, deps }) {
      const session = await activeSession(deps.db, principal);
      const imported = ((session.status ?? {}) as { imported?: { model_name: string } }).imported;
      return ok(statusOf(session, imported ? `model ${imported.model_name} imported` : 'no model imported'));
    },
  }),
  tmRoute({
    method: 'GET',
    path: '/get_imported_model/{key}',
    operationId: 'get_imported_model',
    summary: 'The imported model',
    params: keyParams,
    query: importedModelQuery,
    response: serverStatusSchema,
    auth: 'none',
    async handler({ params, deps }) {
      const session = await sessionByKey(deps.db, params.key);
      const imported = ((session.status ?? {}) as { imported?: { model_name: string } }).imported;
      if (!imported) throw new DomainError('NOT_FOUND', 'no model has been imported');
      return ok(statusOf(session, `imported model ${imported.model_name}`));
    },
  }),
];

export const trainingModuleStyle: RestStyle = {
  basePath: TM_BASE,
  routes: tmRoutes,
  errorResponse: tmErrorResponse,
  authenticate,
  readBody,
  before,
  notFound: () => fastapiJson({ detail: 'Not Found' }, 404),
};
