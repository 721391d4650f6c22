import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import type { ExecutionStatus } from '@trainhub/db';
import type { Principal } from '../../auth/principal';
import { parseAuthorization, principalFromApiKey } from '../../auth/resolve';
import { DomainError, DOMAIN_ERROR_STATUS } from '../../services/errors';
import {
  activeSession,
  monitorSession,
  preprocessSession,
  sessionByKey,
  sessionResult,
  setSessionConfig,
  startSession,
  startSessionTraining,
  stopSessionTraining,
  uploadSessionDatasets,
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
  multipartFiles,
  parseWith,
  queryObject,
  readJson,
  type RestStyle,
  type RouteContext,
  type RouteDef,
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

class NotAuthenticated extends Error {}

/** FastAPI's shapes: 422 `{ detail: [{ loc, msg, type }] }` for validation, `{ detail }` otherwise. */
export function tmErrorResponse(error: unknown): Response {
  const detail = (status: number, message: string) => json({ detail: message }, status);
  if (error instanceof NotAuthenticated) return detail(401, error.message);
  if (error instanceof ContractError) {
    return json(
      {
        detail: error.issues.map((issue) => ({
          loc: [error.location, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))],
          msg: issue.message,
          type:
            issue.code === 'invalid_type'
              ? `${issue.expected}_type`
              : issue.code === 'too_small'
                ? 'greater_than_equal'
                : issue.code === 'too_big'
                  ? 'less_than_equal'
                  : 'value_error',
        })),
      },
      422,
    );
  }
  if (error instanceof BadRequestError) {
    return error.status === 400
      ? json({ detail: [{ loc: ['body'], msg: error.message, type: 'json_invalid' }] }, 422)
      : detail(error.status, error.message);
  }
  if (error instanceof MethodNotAllowedError) return detail(405, 'Method Not Allowed');
  if (error instanceof DomainError) {
    return detail(DOMAIN_ERROR_STATUS[error.code], error.message);
  }
  console.error('training-module: unexpected error', error instanceof Error ? error.stack : String(error));
  return detail(500, 'Internal Server Error');
}

/** `x-api-key` or `Authorization: Bearer <api key>`. */
async function principalOf(ctx: RouteContext): Promise<Principal> {
  const auth = parseAuthorization(ctx.request.headers.get('authorization'));
  const key = ctx.request.headers.get('x-api-key') ?? (auth?.scheme === 'bearer' ? auth.token : null);
  if (!key) throw new NotAuthenticated('Not authenticated');
  const principal = await principalFromApiKey(ctx.deps.db, key);
  if (!principal) throw new NotAuthenticated('Invalid API key');
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

/** The "server status dictionary" every answer carries. */
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
    model_ready:
      session.state === 'DONE' && execution?.status === 'COMPLETED' && execution.modelResourceId !== null,
    ...extra,
  };
}

const keyOf = (ctx: RouteContext) => parseWith(keyParams, ctx.params, 'path').key;

const route = (def: Omit<RouteDef, 'tags' | 'security'> & { keyed?: boolean }): RouteDef => ({
  tags: ['Training module'],
  security: def.keyed ? [] : ['ApiKeyAuthentication', 'bearerAuth'],
  ...def,
});

export const tmRoutes: RouteDef[] = [
  route({
    method: 'GET',
    path: '/healthcheck',
    operationId: 'healthcheck',
    summary: 'Healthcheck',
    response: healthcheckSchema,
    keyed: true,
    async handler() {
      return json({ status: 'ok', message: 'training module is up' });
    },
  }),
  route({
    method: 'GET',
    path: '/start_session',
    operationId: 'start_session',
    summary: 'Start a new session and return its key (force_restart != 0 wipes the active one)',
    query: forceRestartQuery,
    response: serverStatusSchema,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const query = parseWith(forceRestartQuery, queryObject(ctx.url), 'query');
      const { session, key } = await startSession(ctx.deps.db, principal, {
        forceRestart: query.force_restart !== 0,
      });
      return json(statusOf(session, 'session started', { key }));
    },
  }),
  route({
    method: 'POST',
    path: '/parameters/{key}',
    operationId: 'update_training_config',
    summary: 'Update the training config (setup state only)',
    params: keyParams,
    body: trainingConfigParamsSchema,
    response: serverStatusSchema,
    keyed: true,
    async handler(ctx) {
      const key = keyOf(ctx);
      const body = parseWith(trainingConfigParamsSchema, await readJson(ctx.request), 'body');
      const session = await setSessionConfig(ctx.deps.db, key, body);
      return json(statusOf({ ...session, execution: null }, 'config updated'));
    },
  }),
  route({
    method: 'GET',
    path: '/parameters',
    operationId: 'return_training_config',
    summary: 'The active session’s training config',
    response: serverStatusSchema,
    async handler(ctx) {
      return json(statusOf(await activeSession(ctx.deps.db, await principalOf(ctx)), 'current config'));
    },
  }),
  route({
    method: 'POST',
    path: '/upload_dataset/{key}',
    operationId: 'upload_dataset',
    summary: 'Upload train_file and test_file (multipart; setup state only)',
    params: keyParams,
    multipart: { files: ['train_file', 'test_file'] },
    response: serverStatusSchema,
    keyed: true,
    async handler(ctx) {
      const key = keyOf(ctx);
      await sessionByKey(ctx.deps.db, key);
      const files = multipartFiles(ctx.request, {
        maxFileBytes: ctx.deps.uploadLimitBytes,
        files: ['train_file', 'test_file'],
      });
      const session = await uploadSessionDatasets(ctx.deps, key, files);
      return json(statusOf({ ...session, execution: null }, 'datasets uploaded'));
    },
  }),
  route({
    method: 'POST',
    path: '/preprocess/{key}',
    operationId: 'preprocess',
    summary: 'Preprocess the datasets (setup -> preprocessing)',
    params: keyParams,
    response: serverStatusSchema,
    keyed: true,
    async handler(ctx) {
      const session = await preprocessSession(ctx.deps, keyOf(ctx));
      return json(statusOf({ ...session, execution: null }, 'preprocessing done'));
    },
  }),
  route({
    method: 'GET',
    path: '/preprocess_status',
    operationId: 'get_preprocess_status',
    summary: 'Preprocessing status of the active session',
    response: serverStatusSchema,
    async handler(ctx) {
      return json(statusOf(await activeSession(ctx.deps.db, await principalOf(ctx)), 'preprocess status'));
    },
  }),
  route({
    method: 'POST',
    path: '/training/start/{key}',
    operationId: 'start_training',
    summary: 'Start training (preprocessing -> training)',
    params: keyParams,
    response: serverStatusSchema,
    keyed: true,
    async handler(ctx) {
      const session = await startSessionTraining(ctx.deps.db, keyOf(ctx));
      return json(statusOf(session, 'training started'));
    },
  }),
  route({
    method: 'POST',
    path: '/training/stop/{key}',
    operationId: 'stop_training',
    summary: 'Stop training early; the model trained so far is kept',
    params: keyParams,
    query: forceRestartQuery,
    response: serverStatusSchema,
    keyed: true,
    async handler(ctx) {
      parseWith(forceRestartQuery, queryObject(ctx.url), 'query');
      const session = await stopSessionTraining(ctx.deps.db, keyOf(ctx));
      return json(statusOf(session, 'stop requested'));
    },
  }),
  route({
    method: 'GET',
    path: '/status',
    operationId: 'get_status',
    summary: 'Status of the active session',
    response: serverStatusSchema,
    async handler(ctx) {
      return json(statusOf(await activeSession(ctx.deps.db, await principalOf(ctx)), 'status'));
    },
  }),
  route({
    method: 'GET',
    path: '/monitor/{key}',
    operationId: 'monitor',
    summary: 'The last epoch of the training',
    params: keyParams,
    response: serverStatusSchema,
    keyed: true,
    async handler(ctx) {
      const { session, lastEpoch } = await monitorSession(ctx.deps.db, keyOf(ctx));
      return json(
        statusOf(session, lastEpoch ? `epoch ${lastEpoch.epoch}` : 'no epoch finished yet', {
          epoch: lastEpoch?.epoch ?? null,
          metrics: lastEpoch ? { loss: lastEpoch.loss, ...lastEpoch.metrics } : null,
        }),
      );
    },
  }),
  route({
    method: 'GET',
    path: '/model_ready/{key}',
    operationId: 'model_ready',
    summary: 'Whether the model is trained',
    params: keyParams,
    response: serverStatusSchema,
    keyed: true,
    async handler(ctx) {
      const session = await sessionByKey(ctx.deps.db, keyOf(ctx));
      const status = statusOf(session, '');
      return json({ ...status, message: status.model_ready ? 'model ready' : 'model not ready' });
    },
  }),
  route({
    method: 'GET',
    path: '/download_model/{key}',
    operationId: 'download_model',
    summary: 'The trained model: a zip of the model files and metadata.json',
    params: keyParams,
    response: 'file',
    keyed: true,
    async handler(ctx) {
      const { session, execution, model, history } = await sessionResult(ctx.deps.db, keyOf(ctx));
      const bytes = await ctx.deps.store.get(model.storageKey);
      const metadata = {
        model: model.name,
        contentHash: model.contentHash,
        config: session.config,
        task_id: execution.taskId,
        job_id: execution.id,
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
  route({
    method: 'GET',
    path: '/download_results/{key}',
    operationId: 'download_results',
    summary: 'The test-set results (JSON: metrics on the test file and the per-epoch history)',
    params: keyParams,
    response: 'file',
    keyed: true,
    async handler(ctx) {
      const { execution, history } = await sessionResult(ctx.deps.db, keyOf(ctx));
      const body = JSON.stringify(
        {
          job_id: execution.id,
          test_metrics: execution.metrics,
          history: history.map(({ createdAt: _c, ...row }) => row),
        },
        null,
        2,
      );
      return fileResponse(Buffer.from(body), `results-${execution.id}.json`, 'application/json');
    },
  }),
  route({
    method: 'POST',
    path: '/import_model/{key}',
    operationId: 'import_model',
    summary: 'Import a pretrained model from the local model store (PRETRAINED_MODELS_DIR)',
    params: keyParams,
    query: importModelQuery,
    response: serverStatusSchema,
    keyed: true,
    async handler(ctx) {
      const session = await sessionByKey(ctx.deps.db, keyOf(ctx));
      const query = parseWith(importModelQuery, queryObject(ctx.url), 'query');
      const dir = ctx.deps.pretrainedModelsDir;
      const safe = query.model_name.replace(/[^\w.-]/g, '_');
      if (!dir || !existsSync(join(dir, safe, 'model.json'))) {
        throw new DomainError(
          'NOT_FOUND',
          dir
            ? `model ${query.model_name} is not in the local model store (${join(dir, safe, 'model.json')} is missing)`
            : `models cannot be downloaded here: set PRETRAINED_MODELS_DIR to a folder holding ${safe}/model.json`,
        );
      }
      const status = (session.status ?? {}) as SessionStatus & { imported?: unknown };
      await ctx.deps.db.trainingSession.update({
        where: { id: session.id },
        data: { status: { ...status, imported: { model_type: query.model_type, model_name: safe } } },
      });
      return json(statusOf(session, `model ${safe} imported`));
    },
  }),
  route({
    method: 'GET',
    path: '/import_status',
    operationId: 'import_status',
    summary: 'Import status of the active session',
    response: serverStatusSchema,
    async handler(ctx) {
      const session = await activeSession(ctx.deps.db, await principalOf(ctx));
      const imported = ((session.status ?? {}) as { imported?: { model_name: string } }).imported;
      return json(
        statusOf(session, imported ? `model ${imported.model_name} imported` : 'no model imported'),
      );
    },
  }),
  route({
    method: 'GET',
    path: '/get_imported_model/{key}',
    operationId: 'get_imported_model',
    summary: 'The imported model',
    params: keyParams,
    query: importedModelQuery,
    response: serverStatusSchema,
    keyed: true,
    async handler(ctx) {
      const session = await sessionByKey(ctx.deps.db, keyOf(ctx));
      parseWith(importedModelQuery, queryObject(ctx.url), 'query');
      const imported = ((session.status ?? {}) as { imported?: { model_name: string } }).imported;
      if (!imported) throw new DomainError('NOT_FOUND', 'no model has been imported');
      return json(statusOf(session, `imported model ${imported.model_name}`));
    },
  }),
];

export const trainingModuleStyle: RestStyle = {
  basePath: TM_BASE,
  routes: tmRoutes,
  errorResponse: tmErrorResponse,
  notFound: () => json({ detail: 'Not Found' }, 404),
};
