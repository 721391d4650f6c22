import { parseCookies } from '../../auth/cookies';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Execution, Hyperparameters, TrainingDefinition } from '@trainhub/db';
import { executionMetricsSchema, isTerminal } from '@trainhub/db';
import { z } from 'zod';
import { signJwt } from '../../auth/jwt';
import type { Principal } from '../../auth/principal';
import { checkPassword, principalFromApiKey, principalFromJwt } from '../../auth/resolve';
import { requireProject } from '../../services/access';
import { DomainError, DOMAIN_ERROR_STATUS } from '../../services/errors';
import {
  countEvents,
  getExecution,
  listEvents,
  listProjectExecutions,
  requestStop,
} from '../../services/executions';
import {
  getLearnBlock,
  lastLearnBlockExecution,
  listLearnBlocks,
  setLearnBlocks,
  trainLearnBlock,
  updateLearnBlockSettings,
  type LearnBlockSettings,
} from '../../services/learn-blocks';
import { createProject, listProjects } from '../../services/projects';
import {
  BadRequestError,
  ContractError,
  MethodNotAllowedError,
  json,
  parseWith,
  queryObject,
  readJson,
  type RestStyle,
  type RouteContext,
  type RouteDef,
} from '../http';
import {
  EI_BASE,
  apiLoginRequestSchema,
  apiLoginResponseSchema,
  createProjectRequestSchema,
  createProjectResponseSchema,
  genericResponseSchema,
  getImpulseResponseSchema,
  jobLogsResponseSchema,
  jobParams,
  jobStatusResponseSchema,
  kerasMetadataResponseSchema,
  kerasResponseSchema,
  learnParams,
  listJobsQuerySchema,
  listJobsResponseSchema,
  listProjectsResponseSchema,
  projectIdParams,
  setImpulseRequestSchema,
  setImpulseResponseSchema,
  setKerasParameterRequestSchema,
  socketTokenResponseSchema,
  startJobResponseSchema,
  stdoutQuerySchema,
  type SetKerasParameterRequest,
} from './contracts';

/** How long api-login tokens and socket tokens live. */
export const USER_TOKEN_TTL_S = 24 * 3600;
export const SOCKET_TOKEN_TTL_S = 3600;

class EiAuthError extends Error {}

/** The Edge Impulse style's one error mapper: `{ success: false, error }` with a 4xx status. */
export function eiErrorResponse(error: unknown): Response {
  const fail = (status: number, message: string) => json({ success: false, error: message }, status);
  if (error instanceof EiAuthError) return fail(401, error.message);
  if (error instanceof ContractError) {
    const issue = error.issues[0];
    const where = issue?.path.length ? issue.path.map(String).join('.') : error.location;
    return fail(
      400,
      `Invalid ${error.location === 'body' ? 'request body' : error.location}: ${where}: ${issue?.message ?? 'invalid'}`,
    );
  }
  if (error instanceof BadRequestError) return fail(error.status, error.message);
  if (error instanceof MethodNotAllowedError) return fail(405, 'Method not allowed');
  if (error instanceof DomainError) {
    return fail(DOMAIN_ERROR_STATUS[error.code], error.message);
  }
  console.error('edge-impulse: unexpected error', error instanceof Error ? error.stack : String(error));
  return fail(500, 'Internal server error');
}

function cookie(request: Request, name: string): string | null {
  return parseCookies(request.headers.get('cookie'))[name] ?? null;
}

/** `x-api-key` (an API key), `x-jwt-token` or the `jwt` cookie (an api-login token). */
async function principalOf(ctx: RouteContext): Promise<Principal> {
  const apiKey = ctx.request.headers.get('x-api-key');
  const jwt = ctx.request.headers.get('x-jwt-token') ?? cookie(ctx.request, 'jwt');
  if (apiKey) {
    const principal = await principalFromApiKey(ctx.deps.db, apiKey);
    if (!principal) throw new EiAuthError('Invalid API key');
    return principal;
  }
  if (jwt) {
    const principal = await principalFromJwt(ctx.deps.db, jwt, ctx.deps.jwtSecret);
    if (!principal) throw new EiAuthError('Invalid or expired JWT token');
    return principal;
  }
  throw new EiAuthError('Authentication required: send an x-api-key or x-jwt-token header, or a jwt cookie');
}

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : undefined);

export function presentJob(execution: Execution) {
  const finished = isTerminal(execution.status);
  return {
    id: execution.id,
    category: 'Training model',
    key: `train-${execution.taskId}-${execution.id}`,
    created: execution.createdAt.toISOString(),
    started: iso(execution.startedAt),
    finished: finished ? iso(execution.finishedAt ?? execution.updatedAt) : undefined,
    finishedSuccessful: finished ? execution.status === 'COMPLETED' : undefined,
    jobNotificationUids: [],
    computeTime:
      execution.startedAt && execution.finishedAt
        ? Math.round((execution.finishedAt.getTime() - execution.startedAt.getTime()) / 1000)
        : undefined,
  };
}

function presentBlock(block: { id: number; type: string; name: string; title: string }) {
  return {
    id: block.id,
    type: block.type,
    name: block.name,
    title: block.title,
    dsp: [],
    primaryVersion: true,
  };
}

const BASIC_LAYERS = new Set([
  'dense',
  'conv1d',
  'conv2d',
  'reshape',
  'flatten',
  'dropout',
  'batchNormalization',
]);

/**
 * The learn block's settings as a training: `spec` keeps the visual layers (or the expert script) as sent,
 * for the trainer's translator. Transfer layers need their pretrained base in PRETRAINED_MODELS_DIR.
 */
export function kerasTraining(pretrainedModelsDir: string | null | undefined) {
  return (
    settings: LearnBlockSettings,
    datasetResourceId: number,
    block: { title: string; name: string; type?: string },
  ): { definition: TrainingDefinition; hyperparameters: Hyperparameters } => {
    const s = settings as SetKerasParameterRequest;
    const mode = s.mode ?? 'visual';
    let spec: Record<string, unknown>;
    if (mode === 'expert') {
      if (!s.script?.trim()) throw new DomainError('INVALID', 'expert mode needs a script');
      spec = { format: 'edge-impulse-expert', script: s.script };
    } else {
      const visualLayers = (
        s.visualLayers ?? [
          { type: 'dense', neurons: 20 },
          { type: 'dense', neurons: 10 },
        ]
      ).filter((layer) => layer.enabled !== false);
      const pretrained: Record<string, string> = {};
      for (const layer of visualLayers) {
        if (BASIC_LAYERS.has(layer.type)) continue;
        const folder = pretrainedModelsDir ? join(pretrainedModelsDir, layer.type) : null;
        if (!folder || !existsSync(join(folder, 'model.json'))) {
          throw new DomainError(
            'INVALID',
            `the layer ${layer.type} needs pretrained weights, which cannot be downloaded here: ` +
              (pretrainedModelsDir
                ? `${join(pretrainedModelsDir, layer.type, 'model.json')} is missing`
                : `set PRETRAINED_MODELS_DIR to a folder holding ${layer.type}/model.json`),
          );
        }
        pretrained[layer.type] = folder;
      }
      spec = {
        format: 'edge-impulse-visual',
        visualLayers,
        ...(Object.keys(pretrained).length ? { pretrained } : {}),
      };
    }
    return {
      definition: {
        version: 1,
        problemType: block.type?.includes('regression') ? 'regression' : 'classification',
        spec,
        datasetResourceId,
        modelName: block.title || block.name,
      },
      hyperparameters: {
        epochs: s.trainingCycles ?? 30,
        batchSize: s.batchSize ?? 32,
        learningRate: s.learningRate ?? 0.0005,
        optimizer: 'adam',
        loss: block.type?.includes('regression') ? 'mean_squared_error' : 'categorical_crossentropy',
        metrics: ['accuracy'],
        testSize: s.trainTestSplit ?? 0.2,
        classWeights: s.autoClassWeights ?? false,
      },
    };
  };
}

const params = <S extends z.ZodObject>(schema: S, ctx: RouteContext): z.infer<S> =>
  parseWith(schema, ctx.params, 'path');
const SECURITY = ['ApiKeyAuthentication', 'JWTAuthentication', 'JWTHttpHeaderAuthentication'];

export const eiRoutes: RouteDef[] = [
  {
    method: 'POST',
    path: '/api-login',
    operationId: 'login',
    summary: 'Get a JWT token for a user (x-jwt-token header or jwt cookie)',
    tags: ['Login'],
    body: apiLoginRequestSchema,
    response: apiLoginResponseSchema,
    security: [],
    async handler(ctx) {
      const body = parseWith(apiLoginRequestSchema, await readJson(ctx.request), 'body');
      const userId = await checkPassword(ctx.deps.db, body.username, body.password);
      if (!userId) throw new EiAuthError('Invalid username or password');
      const { token } = signJwt({ sub: userId, typ: 'user' }, ctx.deps.jwtSecret, USER_TOKEN_TTL_S);
      return json({ success: true, token });
    },
  },
  {
    method: 'GET',
    path: '/api/projects',
    operationId: 'listProjects',
    summary: 'Projects the caller can open (with a project API key: that project)',
    tags: ['Projects'],
    response: listProjectsResponseSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const projects = await listProjects(ctx.deps.db, principal);
      const teams = new Map(
        (
          await ctx.deps.db.team.findMany({
            where: { id: { in: [...new Set(projects.map((p) => p.teamId))] } },
          })
        ).map((t) => [t.id, t.name]),
      );
      return json({
        success: true,
        projects: projects.map((p) => ({
          id: p.id,
          name: p.name,
          description: p.description ?? '',
          created: p.createdAt.toISOString(),
          owner: teams.get(p.teamId) ?? '',
        })),
      });
    },
  },
  {
    method: 'POST',
    path: '/api/projects/create',
    operationId: 'createProject',
    summary: 'Create a project',
    tags: ['Projects'],
    body: createProjectRequestSchema,
    response: createProjectResponseSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const body = parseWith(createProjectRequestSchema, await readJson(ctx.request), 'body');
      const project = await createProject(ctx.deps.db, principal, { name: body.projectName });
      return json({ success: true, id: project.id });
    },
  },
  {
    method: 'GET',
    path: '/api/{projectId}/impulse',
    operationId: 'getImpulse',
    summary: 'The impulse: its learn blocks (learnId)',
    tags: ['Impulse'],
    params: projectIdParams,
    response: getImpulseResponseSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const { projectId } = params(projectIdParams, ctx);
      const blocks = await listLearnBlocks(ctx.deps.db, principal, projectId);
      return json({
        success: true,
        impulse: { inputBlocks: [], dspBlocks: [], learnBlocks: blocks.map(presentBlock) },
      });
    },
  },
  {
    method: 'POST',
    path: '/api/{projectId}/impulse',
    operationId: 'createImpulse',
    summary: 'Set the impulse’s learn blocks (ids not in the project make new blocks)',
    tags: ['Impulse'],
    params: projectIdParams,
    body: setImpulseRequestSchema,
    response: setImpulseResponseSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const { projectId } = params(projectIdParams, ctx);
      const body = parseWith(setImpulseRequestSchema, await readJson(ctx.request), 'body');
      const blocks = await setLearnBlocks(ctx.deps.db, principal, projectId, body.learnBlocks);
      return json({ success: true, learnBlocks: blocks.map(presentBlock) });
    },
  },
  {
    method: 'GET',
    path: '/api/{projectId}/training/keras/{learnId}',
    operationId: 'getKeras',
    summary: 'A learn block’s Keras settings',
    tags: ['Learn'],
    params: learnParams,
    response: kerasResponseSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const { projectId, learnId } = params(learnParams, ctx);
      const block = await getLearnBlock(ctx.deps.db, principal, projectId, learnId);
      const { execution } = await lastLearnBlockExecution(ctx.deps.db, principal, projectId, learnId);
      const settings = block.settings as SetKerasParameterRequest;
      return json({
        success: true,
        ...settings,
        name: block.title,
        type: block.type,
        trained: Boolean(execution),
        mode: settings.mode ?? 'visual',
      });
    },
  },
  {
    method: 'POST',
    path: '/api/{projectId}/training/keras/{learnId}',
    operationId: 'setKeras',
    summary: 'Set a learn block’s Keras settings (only the fields given)',
    tags: ['Learn'],
    params: learnParams,
    body: setKerasParameterRequestSchema,
    response: genericResponseSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const { projectId, learnId } = params(learnParams, ctx);
      const body = parseWith(setKerasParameterRequestSchema, (await readJson(ctx.request)) ?? {}, 'body');
      await updateLearnBlockSettings(ctx.deps.db, principal, projectId, learnId, body);
      return json({ success: true });
    },
  },
  {
    method: 'POST',
    path: '/api/{projectId}/jobs/train/keras/{learnId}',
    operationId: 'trainKerasJob',
    summary: 'Store the given Keras settings on the learn block and start a training job with them',
    tags: ['Jobs'],
    params: learnParams,
    body: setKerasParameterRequestSchema,
    response: startJobResponseSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const { projectId, learnId } = params(learnParams, ctx);
      const body = parseWith(setKerasParameterRequestSchema, (await readJson(ctx.request)) ?? {}, 'body');
      const { execution } = await trainLearnBlock(
        ctx.deps.db,
        principal,
        projectId,
        learnId,
        body,
        'edge-impulse',
        kerasTraining(ctx.deps.pretrainedModelsDir),
      );
      return json({ success: true, id: execution!.id });
    },
  },
  {
    method: 'GET',
    path: '/api/{projectId}/jobs',
    operationId: 'listAllJobs',
    summary: 'Jobs of the project, newest first',
    tags: ['Jobs'],
    params: projectIdParams,
    query: listJobsQuerySchema,
    response: listJobsResponseSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const { projectId } = params(projectIdParams, ctx);
      const query = parseWith(listJobsQuerySchema, queryObject(ctx.url), 'query');
      const { executions, total } = await listProjectExecutions(
        ctx.deps.db,
        principal,
        projectId,
        query.limit,
        query.offset,
      );
      return json({ success: true, jobs: executions.map(presentJob), totalJobCount: total });
    },
  },
  {
    method: 'GET',
    path: '/api/{projectId}/jobs/{jobId}/status',
    operationId: 'getJobStatus',
    summary: 'Status of a job',
    tags: ['Jobs'],
    params: jobParams,
    response: jobStatusResponseSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const { projectId, jobId } = params(jobParams, ctx);
      return json({
        success: true,
        job: presentJob(await getExecution(ctx.deps.db, principal, jobId, { projectId })),
      });
    },
  },
  {
    method: 'GET',
    path: '/api/{projectId}/jobs/{jobId}/stdout',
    operationId: 'getJobsLogs',
    summary: 'Log lines of a job, oldest first',
    tags: ['Jobs'],
    params: jobParams,
    query: stdoutQuerySchema,
    response: jobLogsResponseSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const { projectId, jobId } = params(jobParams, ctx);
      const query = parseWith(stdoutQuerySchema, queryObject(ctx.url), 'query');
      const execution = await getExecution(ctx.deps.db, principal, jobId, { projectId });
      const [events, totalCount] = await Promise.all([
        listEvents(ctx.deps.db, execution.id, {
          kinds: ['LOG', 'STAGE'],
          take: query.limit,
          skip: query.offset,
        }),
        countEvents(ctx.deps.db, execution.id, ['LOG', 'STAGE']),
      ]);
      return json({
        success: true,
        stdout: events.map((e) => ({
          created: e.createdAt.toISOString(),
          data: `${e.kind === 'STAGE' ? `Stage ${e.message ?? ''}` : (e.message ?? '')}\n`,
          logLevel: (['error', 'warn', 'info', 'debug'].includes(e.level ?? '') ? e.level : 'info') as string,
        })),
        totalCount,
      });
    },
  },
  {
    method: 'POST',
    path: '/api/{projectId}/jobs/{jobId}/cancel',
    operationId: 'cancelJob',
    summary: 'Cancel a job',
    tags: ['Jobs'],
    params: jobParams,
    response: genericResponseSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const { projectId, jobId } = params(jobParams, ctx);
      await requestStop(ctx.deps.db, principal, jobId, 'CANCEL', { projectId });
      return json({ success: true });
    },
  },
  {
    method: 'GET',
    path: '/api/{projectId}/training/keras/{learnId}/metadata',
    operationId: 'getKerasMetadata',
    summary: 'Results of the last finished training of a learn block',
    tags: ['Learn'],
    params: learnParams,
    response: kerasMetadataResponseSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const { projectId, learnId } = params(learnParams, ctx);
      const { block, execution } = await lastLearnBlockExecution(ctx.deps.db, principal, projectId, learnId);
      if (!execution) throw new DomainError('NOT_FOUND', 'this learn block has no trained model yet');
      const metrics = executionMetricsSchema.safeParse(execution.metrics ?? {});
      const m = metrics.success ? metrics.data : {};
      return json({
        success: true,
        created: (execution.finishedAt ?? execution.updatedAt).toISOString(),
        classNames: m.classNames ?? [],
        modelValidationMetrics: [
          {
            type: 'float32',
            loss: m.loss ?? m.mse ?? 0,
            ...(m.accuracy !== undefined ? { accuracy: m.accuracy } : {}),
            confusionMatrix: m.confusionMatrix ?? [],
            report: m.report ?? {},
            onDevicePerformance: [],
          },
        ],
        availableModelTypes: ['float32'],
        recommendedModelType: 'float32',
        mode: block.type.includes('regression') ? 'regression' : 'classification',
        jobId: execution.id,
      });
    },
  },
  {
    method: 'GET',
    path: '/api/{projectId}/socket-token',
    operationId: 'getSocketToken',
    summary: 'A token for the socket.io connection (job-data-{jobId}, job-finished-{jobId})',
    tags: ['Projects'],
    params: projectIdParams,
    response: socketTokenResponseSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const { projectId } = params(projectIdParams, ctx);
      await requireProject(ctx.deps.db, principal, projectId, 'VIEWER');
      const { token, expires } = signJwt(
        {
          sub: principal.kind === 'user' ? principal.userId : `key:${principal.keyId}`,
          typ: 'socket',
          projectId,
        },
        ctx.deps.jwtSecret,
        SOCKET_TOKEN_TTL_S,
      );
      return json({ success: true, token: { socketToken: token, expires: expires.toISOString() } });
    },
  },
];

export const edgeImpulseStyle: RestStyle = {
  basePath: EI_BASE,
  routes: eiRoutes,
  errorResponse: eiErrorResponse,
  notFound: () => json({ success: false, error: 'Not found' }, 404),
};
