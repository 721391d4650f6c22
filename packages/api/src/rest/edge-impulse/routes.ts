import { parseCookies } from '../../auth/cookies';
import type {
  Db,
  Execution,
  ExecutionEvent,
  Hyperparameters,
  LearnBlock,
  Prisma,
  TeamRole,
  TrainingDefinition,
} from '@trainhub/db';
import { TERMINAL_STATUSES, executionMetricsSchema, isTerminal } from '@trainhub/db';
import { signJwt } from '../../auth/jwt';
import { LoginRateLimitedError } from '../../auth/login-limit';
import { roleIn, type Principal } from '../../auth/principal';
import { checkPassword, principalFromApiKey, principalFromJwt } from '../../auth/resolve';
import { requireProject } from '../../services/access';
import { ROLE_RANK } from '../../services/accounts';
import { DomainError, DOMAIN_ERROR_STATUS } from '../../services/errors';
import { getExecution, requestStop } from '../../services/executions';
import { createTeamApiKey, listApiKeys } from '../../services/teams';
import {
  findLearnBlockByClientId,
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
  route,
  type RestDeps,
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
  addApiKeyRequestSchema,
  addApiKeyResponseSchema,
  apiKeyInfoResponseSchema,
  eiKeyRoles,
  genericResponseSchema,
  getNewBlockIdResponseSchema,
  listAllJobsQuerySchema,
  listApiKeysResponseSchema,
  listFinishedJobsQuerySchema,
  getImpulseResponseSchema,
  jobLogsResponseSchema,
  jobParams,
  jobStatusResponseSchema,
  kerasMetadataResponseSchema,
  kerasSettingsBodySchema,
  kerasResponseSchema,
  learnParams,
  listJobsQuerySchema,
  listJobsResponseSchema,
  listProjectsResponseSchema,
  projectInfoResponseSchema,
  projectIdParams,
  setImpulseRequestSchema,
  setImpulseResponseSchema,
  socketTokenResponseSchema,
  startJobResponseSchema,
  stdoutQuerySchema,
  LOG_LEVELS,
  type JobLogLevel,
  type SetKerasParameterRequest,
} from './contracts';
import { eventText, signSocketToken } from './socket';
import { eiDataRoutes } from './data';
import {
  getModelTestingJob,
  isModelTestingJobId,
  listModelTestingJobs,
  modelTestingJobLines,
  type ModelTestingJob,
} from '../../services/model-testing';
import { impulsePipeline, sampleDataSummary, writeFeatureDataset } from '../../services/samples';
import { DSP_TYPES } from '@trainhub/ml/dsp';
import { edgeImpulseBaseName } from '@trainhub/ml/model-store';
import { requireBaseModel } from '../../services/training-validation';

/** How long api-login tokens live, in seconds (socket tokens: socket.ts). */
export const USER_TOKEN_TTL_S = 24 * 3600;

/** The Edge Impulse style's one error mapper: `{ success: false, error }` with a 4xx status. */
export function eiErrorResponse(error: unknown): Response {
  const fail = (status: number, message: string, headers?: Record<string, string>) =>
    json({ success: false, error: message }, status, headers);
  if (error instanceof LoginRateLimitedError)
    return fail(429, error.message, { 'retry-after': String(error.retryAfterSeconds) });
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

/**
 * The style's one credential reader (RestStyle.authenticate, every route of `/v1`): `x-api-key` (a project
 * or team API key) first, else `x-jwt-token` or the `jwt` cookie (an api-login token). No credentials: null
 * when not `required`; missing or bad ones are DomainError UNAUTHENTICATED (401 `{ success: false, error }`,
 * the texts the Node bindings show).
 */
export async function eiAuthenticate(ctx: RouteContext, required: boolean): Promise<Principal | null> {
  const apiKey = ctx.request.headers.get('x-api-key');
  const jwt =
    ctx.request.headers.get('x-jwt-token') ?? parseCookies(ctx.request.headers.get('cookie'))['jwt'] ?? null;
  if (apiKey) {
    const principal = await principalFromApiKey(ctx.deps.db, apiKey);
    if (!principal) throw new DomainError('UNAUTHENTICATED', 'Invalid API key');
    return principal;
  }
  if (jwt) {
    const principal = await principalFromJwt(ctx.deps.db, jwt, ctx.deps.jwtSecret);
    if (!principal) throw new DomainError('UNAUTHENTICATED', 'Invalid or expired JWT token');
    return principal;
  }
  if (!required) return null;
  throw new DomainError(
    'UNAUTHENTICATED',
    'Authentication required: send an x-api-key or x-jwt-token header, or a jwt cookie',
  );
}

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : undefined);

/**
 * Edge Impulse's Job model (GetJobResponse.job, ListJobsResponse.jobs[]). `key` follows Edge Impulse's
 * convention for a learn block's training, `keras-{learnId}` (learnId as the client knows it), when the job
 * trains one; other trainings (MLW, session style) keep `train-{taskId}-{id}`. Dates are ISO-8601 strings,
 * computeTime seconds.
 */
export function presentJob(execution: Execution, learnId?: number | null) {
  const finished = isTerminal(execution.status);
  return {
    id: execution.id,
    category: 'Training model',
    categoryKey: 'learn-train-studio-wrapper',
    key: learnId != null ? `keras-${learnId}` : `train-${execution.taskId}-${execution.id}`,
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

// taskId -> the learnId of its learn block (null: not a learn block's training). Never changes once a task
// exists (a block's client id is set when it is created, or adopted equal to its row id), so each process
// remembers it: the polled job status stays one plain SQL read.
const learnIdByTask = new Map<number, number | null>();
const LEARN_ID_CACHE_MAX = 10_000;

/** Executions as Edge Impulse jobs, with the `keras-{learnId}` key of those that train a learn block. */
async function presentJobs(db: Db, executions: Execution[]) {
  const learnIds = await learnIdsOf(db, executions);
  return executions.map((e) => presentJob(e, learnIds.get(e.id)));
}

/** The learnId (as the client knows it) of each execution's learn block, for job keys. */
async function learnIdsOf(db: Db, executions: Execution[]): Promise<Map<number, number>> {
  const missing = [...new Set(executions.map((e) => e.taskId))].filter((id) => !learnIdByTask.has(id));
  if (missing.length) {
    const tasks = await db.task.findMany({
      where: { id: { in: missing } },
      select: { id: true, learnBlock: { select: { id: true, blockId: true } } },
    });
    if (learnIdByTask.size + tasks.length > LEARN_ID_CACHE_MAX) learnIdByTask.clear();
    for (const t of tasks) learnIdByTask.set(t.id, t.learnBlock ? clientIdOf(t.learnBlock) : null);
  }
  const out = new Map<number, number>();
  for (const e of executions) {
    const learnId = learnIdByTask.get(e.taskId);
    if (learnId != null) out.set(e.id, learnId);
  }
  return out;
}

/** The id a client knows a learn block by: the one it chose (blockId), else the row id. */
const clientIdOf = (block: { id: number; blockId: number | null }) => block.blockId ?? block.id;

/** Edge Impulse's Project model; fields this platform has no counterpart for get neutral values. */
function presentProject(
  p: { id: number; name: string; description: string | null; createdAt: Date },
  owner: string,
) {
  return {
    id: p.id,
    name: p.name,
    description: p.description ?? '',
    created: p.createdAt.toISOString(),
    owner,
    ownerIsDeveloperProfile: false,
    collaborators: [],
    labelingMethod: 'single_label' as const,
    metadata: {},
    isEnterpriseProject: false,
    whitelabelId: null,
    tier: 'free' as const,
    hasPublicVersion: false,
    isPublic: false,
    allowsLivePublicAccess: false,
    indPauseProcessingSamples: false,
    publicProjectListed: false,
  };
}

/** What Project.impulse holds: the impulse as the client last sent it (section 2.1, createImpulse). */
interface StoredImpulse {
  name?: string;
  type?: 'default' | 'BYOM' | 'VLM';
  inputBlocks?: unknown[];
  dspBlocks?: unknown[];
  postProcessingBlocks?: unknown[];
  /** The learn blocks as sent, by the client's id (their own fields, such as `dsp`). */
  learnBlocks?: Record<string, Record<string, unknown>>;
}

/** A project's impulse as stored and its learn blocks, for a caller with `role` in it (else NOT_FOUND/FORBIDDEN). */
async function impulseOf(db: Db, principal: Principal, projectId: number, role: 'VIEWER' | 'EDITOR') {
  const project = await requireProject(db, principal, projectId, role);
  const blocks = await listLearnBlocks(db, principal, projectId);
  return { stored: project.impulse as StoredImpulse | null, blocks };
}

/** The id of a project's one impulse (Edge Impulse numbers a project's impulses from 1). */
export const IMPULSE_ID = 1;

/**
 * Edge Impulse's Impulse: the stored input/DSP/post-processing blocks as sent, and every learn block of the
 * project with the id its client chose (the block's own fields as sent, name/title/type from the row).
 */
function presentImpulse(stored: StoredImpulse | null, blocks: LearnBlock[]) {
  return {
    id: IMPULSE_ID,
    name: stored?.name ?? 'Impulse #1',
    type: stored?.type ?? 'default',
    inputBlocks: stored?.inputBlocks ?? [],
    dspBlocks: stored?.dspBlocks ?? [],
    learnBlocks: blocks.map((block) => {
      const id = clientIdOf(block);
      const sent = stored?.learnBlocks?.[String(id)] ?? {};
      return {
        dsp: [],
        primaryVersion: true,
        ...sent,
        id,
        type: block.type,
        name: block.name,
        title: block.title,
      };
    }),
    postProcessingBlocks: stored?.postProcessingBlocks ?? [],
  };
}

/** The learn block a `learnId` path parameter names (the client's id, or a row id for older blocks). */
async function learnBlockOf(
  db: Db,
  principal: Principal,
  { projectId, learnId }: { projectId: number; learnId: number },
) {
  return { projectId, block: await findLearnBlockByClientId(db, principal, projectId, learnId) };
}

/** What a learn block of this type learns: its type names regressions (`keras-regression`), else classes. */
const problemTypeOf = (type: string | undefined) =>
  type?.includes('regression') ? ('regression' as const) : ('classification' as const);

/** Defaults of a learn block's Keras settings: what kerasTraining trains with when nothing was set. */
export const KERAS_DEFAULTS = {
  trainingCycles: 30,
  learningRate: 0.0005,
  batchSize: 32,
  trainTestSplit: 0.2,
  visualLayers: [
    { type: 'dense', neurons: 20 },
    { type: 'dense', neurons: 10 },
  ] as NonNullable<SetKerasParameterRequest['visualLayers']>,
};

/**
 * Edge Impulse's KerasResponse: the stored settings over the defaults this platform trains with; fields it
 * has no counterpart for get neutral values (no DSP features: empty dependencies and shape; no transfer
 * model catalogue, no thresholds; models are float32).
 */
function presentKeras(block: LearnBlock, trained: boolean) {
  const settings = block.settings as SetKerasParameterRequest;
  return {
    success: true,
    ...settings,
    dependencies: { classes: [], blockNames: [], featureCount: 0, sampleCount: 0, outputClasses: [] },
    trained,
    name: block.title,
    type: block.type,
    script: settings.script ?? '',
    minimumConfidenceRating: settings.minimumConfidenceRating ?? 0.6,
    selectedModelType: settings.selectedModelType ?? 'float32',
    mode: settings.mode ?? 'visual',
    visualLayers: settings.visualLayers ?? KERAS_DEFAULTS.visualLayers,
    trainingCycles: settings.trainingCycles ?? KERAS_DEFAULTS.trainingCycles,
    learningRate: settings.learningRate ?? KERAS_DEFAULTS.learningRate,
    batchSize: settings.batchSize ?? KERAS_DEFAULTS.batchSize,
    defaultBatchSize: KERAS_DEFAULTS.batchSize,
    trainTestSplit: settings.trainTestSplit ?? KERAS_DEFAULTS.trainTestSplit,
    shape: '',
    augmentationPolicyImage: settings.augmentationPolicyImage ?? 'none',
    transferLearningModels: [],
    profileInt8: settings.profileInt8 ?? false,
    skipEmbeddingsAndMemory: settings.skipEmbeddingsAndMemory ?? false,
    showAdvancedTrainingSettings: settings.showAdvancedTrainingSettings ?? false,
    showAugmentationTrainingSettings: settings.showAugmentationTrainingSettings ?? false,
    thresholds: [],
  };
}

/** Edge Impulse project key roles -> this platform's roles (the nearest one that allows what the role does). */
export const EI_ROLE_TO_ROLE: Record<(typeof eiKeyRoles)[number], Exclude<TeamRole, 'OWNER'>> = {
  admin: 'ADMIN',
  readonly: 'VIEWER',
  // Uploading and deploying write to the project: the editor role (which may also train).
  ingestiononly: 'EDITOR',
  ingestion_deployment: 'EDITOR',
};
/** This platform's roles -> Edge Impulse project key roles. */
export function eiRoleOf(role: TeamRole): (typeof eiKeyRoles)[number] {
  if (role === 'OWNER' || role === 'ADMIN') return 'admin';
  return role === 'EDITOR' ? 'ingestion_deployment' : 'readonly';
}

/** One event as a stdout line: its text as the socket feed sends it (`eventText`), with its level. */
function stdoutLine(e: ExecutionEvent) {
  return {
    created: e.createdAt.toISOString(),
    data: eventText(e),
    logLevel: ((LOG_LEVELS as readonly string[]).includes(e.level ?? '') ? e.level : 'info') as JobLogLevel,
  };
}

/**
 * A job's log lines (LOG and STAGE events): the last `limit` (after skipping `offset` newest), oldest first,
 * keeping `logLevel` and more severe levels, and how many there are in all (with that filter).
 */
async function jobLines(
  db: Db,
  principal: Principal,
  { projectId, jobId }: { projectId: number; jobId: number },
  query: { limit: number; offset: number; logLevel?: JobLogLevel },
) {
  // Model testing jobs (services/model-testing.ts) share the job id space above their base.
  if (isModelTestingJobId(jobId))
    return {
      executionId: jobId,
      ...(await modelTestingJobLines(db, principal, projectId, jobId, query)),
    };
  const { id: executionId } = await getExecution(db, principal, jobId, { projectId });
  const levels = query.logLevel ? LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(query.logLevel) + 1) : null;
  const where: Prisma.ExecutionEventWhereInput = {
    executionId,
    kind: { in: ['LOG', 'STAGE'] },
    ...(levels
      ? {
          OR: [
            { level: { in: [...levels] } },
            ...(levels.includes('info') ? [{ level: null }, { level: { notIn: [...LOG_LEVELS] } }] : []),
          ],
        }
      : {}),
  };
  const [events, totalCount] = await Promise.all([
    db.executionEvent.findMany({
      where,
      orderBy: { seq: 'desc' },
      take: query.limit,
      skip: query.offset,
    }),
    db.executionEvent.count({ where }),
  ]);
  return { executionId, stdout: events.reverse().map(stdoutLine), totalCount };
}

/** Is this text a Keras `model.to_json()` document (what expert mode can train here)? */
function isKerasJson(script: string): boolean {
  try {
    const doc = JSON.parse(script) as unknown;
    return (
      typeof doc === 'object' &&
      doc !== null &&
      typeof (doc as { class_name?: unknown }).class_name === 'string' &&
      typeof (doc as { config?: unknown }).config === 'object'
    );
  } catch {
    return false;
  }
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
      if (!isKerasJson(s.script))
        throw new DomainError(
          'INVALID',
          'expert mode here trains a Keras model.to_json() document (JSON with class_name and config); ' +
            'Python scripts cannot run on this platform: send the JSON of your model instead',
        );
      spec = { format: 'edge-impulse-expert', script: s.script };
    } else {
      const visualLayers = (s.visualLayers ?? KERAS_DEFAULTS.visualLayers).filter(
        (layer) => layer.enabled !== false,
      );
      const pretrained: Record<string, string> = {};
      for (const layer of visualLayers) {
        if (BASIC_LAYERS.has(layer.type)) continue;
        // Only transfer_* layers become transfer layers (the translator refuses the rest): no store helps these.
        if (!layer.type.startsWith('transfer_'))
          throw new DomainError(
            'INVALID',
            `the layer ${layer.type} cannot be trained here (object detection and anomaly layers are not ` +
              `supported); use ${[...BASIC_LAYERS].join(', ')} or transfer_* layers`,
          );
        // The model store (@trainhub/ml/model-store) names the base; requireBaseModel is every style's check.
        const name = edgeImpulseBaseName(layer);
        pretrained[name] = requireBaseModel(pretrainedModelsDir, name, `the layer ${layer.type}`);
      }
      spec = {
        format: 'edge-impulse-visual',
        visualLayers,
        ...(Object.keys(pretrained).length ? { pretrained } : {}),
      };
    }
    const problemType = problemTypeOf(block.type);
    return {
      definition: {
        version: 1,
        problemType,
        spec,
        datasetResourceId,
        modelName: block.title || block.name,
      },
      hyperparameters: {
        epochs: s.trainingCycles ?? KERAS_DEFAULTS.trainingCycles,
        batchSize: s.batchSize ?? KERAS_DEFAULTS.batchSize,
        learningRate: s.learningRate ?? KERAS_DEFAULTS.learningRate,
        optimizer: 'adam',
        loss: problemType === 'regression' ? 'mean_squared_error' : 'categorical_crossentropy',
        // The metrics of the problem type (the up-front check refuses accuracy for a regression).
        metrics: problemType === 'regression' ? ['mse'] : ['accuracy'],
        testSize: s.trainTestSplit ?? KERAS_DEFAULTS.trainTestSplit,
        classWeights: s.autoClassWeights ?? false,
      },
    };
  };
}

const SECURITY = ['ApiKeyAuthentication', 'JWTAuthentication', 'JWTHttpHeaderAuthentication'];

export const eiRoutes: RouteDef[] = [
  route({
    method: 'POST',
    path: '/api-login',
    operationId: 'login',
    summary: 'Get a JWT token for a user (x-jwt-token header or jwt cookie)',
    tags: ['Login'],
    body: apiLoginRequestSchema,
    response: apiLoginResponseSchema,
    security: [],
    auth: 'none',
    async handler({ body, deps, clientIp }) {
      const userId = await checkPassword(deps.db, body.username, body.password, clientIp);
      if (!userId) throw new DomainError('UNAUTHENTICATED', 'Invalid username or password');
      const { token } = signJwt({ sub: userId, typ: 'user' }, deps.jwtSecret, USER_TOKEN_TTL_S);
      return json({ success: true, token });
    },
  }),
  route({
    method: 'GET',
    path: '/api/projects',
    operationId: 'listProjects',
    summary: 'Projects the caller can open (with a project API key: that project)',
    tags: ['Projects'],
    response: listProjectsResponseSchema,
    security: SECURITY,
    async handler({ principal, deps }) {
      const projects = await listProjects(deps.db, principal);
      const teams = new Map(
        (
          await deps.db.team.findMany({
            where: { id: { in: [...new Set(projects.map((p) => p.teamId))] } },
          })
        ).map((t) => [t.id, t.name]),
      );
      return json({
        success: true,
        projects: projects.map((p) => presentProject(p, teams.get(p.teamId) ?? '')),
      });
    },
  }),
  route({
    method: 'POST',
    path: '/api/projects/create',
    operationId: 'createProject',
    summary:
      'Create a project; unless createApiKey is false, the answer carries a new admin API key of the project ' +
      '(callers who may create keys: team admins)',
    tags: ['Projects'],
    body: createProjectRequestSchema,
    response: createProjectResponseSchema,
    security: SECURITY,
    async handler({ principal, body, deps }) {
      const project = await createProject(deps.db, principal, { name: body.projectName });
      // CreateProjectResponse.apiKey is required: without a key it is empty (createApiKey false, or a caller
      // who may not create keys, below admin). The key is scoped to the new project, with the admin role.
      const withoutKey = () => json({ success: true, id: project.id, apiKey: '' });
      if (body.createApiKey === false) return withoutKey();
      const role = roleIn(principal, project.teamId, project.id);
      if (!role || ROLE_RANK[role] < ROLE_RANK.ADMIN) return withoutKey();
      const key = await createTeamApiKey(deps.db, principal, {
        teamId: project.teamId,
        projectId: project.id,
        name: 'Created with the project',
        role: 'ADMIN',
      });
      return json({ success: true, id: project.id, apiKey: key.key });
    },
  }),
  route({
    method: 'GET',
    path: '/api/projects/api-key-info',
    operationId: 'getCurrentApiKeyInfo',
    summary: 'The project API key in x-api-key: its id, project and role',
    tags: ['Projects'],
    response: apiKeyInfoResponseSchema,
    security: ['ApiKeyAuthentication'],
    async handler({ principal }) {
      if (principal.kind !== 'apiKey')
        throw new BadRequestError('this needs a project API key in the x-api-key header');
      if (principal.projectId === null)
        throw new BadRequestError('this API key acts for a whole team, not for one project');
      return json({
        success: true,
        apiKeyId: principal.keyId,
        projectId: principal.projectId,
        role: eiRoleOf(principal.role),
      });
    },
  }),
  route({
    method: 'GET',
    path: '/api/{projectId}',
    operationId: 'getProjectInfo',
    summary:
      'The project (ProjectInfoResponse): the project, whether the impulse is set, compute time used; what this ' +
      'platform has no counterpart for (devices, data acquisition, deployment, EON) is empty or neutral',
    tags: ['Projects'],
    params: projectIdParams,
    response: projectInfoResponseSchema,
    security: SECURITY,
    async handler({ principal, params: { projectId }, deps, url }) {
      const project = await requireProject(deps.db, principal, projectId, 'VIEWER');
      const [team, blocks, runs, trained, summary] = await Promise.all([
        deps.db.team.findUnique({ where: { id: project.teamId }, select: { name: true } }),
        deps.db.learnBlock.count({ where: { projectId } }),
        deps.db.execution.findMany({
          where: { projectId, startedAt: { not: null }, finishedAt: { not: null } },
          select: { startedAt: true, finishedAt: true },
        }),
        deps.db.execution.count({
          where: { projectId, status: 'COMPLETED', task: { learnBlockId: { not: null } } },
        }),
        sampleDataSummary(deps.db, principal, projectId),
      ]);
      const emptySummary = { totalLengthMs: 0, labels: [], totalLabels: 0, dataCount: 0 };
      const impulseCreated = project.impulse !== null || blocks > 0;
      return json({
        success: true,
        project: presentProject(project, team?.name ?? ''),
        developmentKeys: {},
        impulse: { created: impulseCreated, configured: blocks > 0, complete: trained > 0 },
        devices: [],
        // From the samples (services/samples.ts); `dataSummary` is the training set's, as the model says.
        dataSummary: summary.training,
        dataSummaryPerCategory: {
          training: summary.training,
          testing: summary.testing,
          validation: emptySummary,
          postProcessing: emptySummary,
        },
        computeTime: {
          periodStartDate: project.createdAt.toISOString(),
          periodEndDate: new Date().toISOString(),
          timeUsedMs: runs.reduce((t, r) => t + (r.finishedAt!.getTime() - r.startedAt!.getTime()), 0),
          timeLeftMs: 0,
        },
        acquisitionSettings: {
          intervalMs: 0,
          lengthMs: 0,
          segmentShift: false,
          defaultPageSize: 0,
          viewType: 'list',
          gridColumnCount: 0,
          gridColumnCountDetailed: 0,
          showExactSampleLength: false,
          inlineEditBoundingBoxes: false,
        },
        collaborators: [],
        deploySettings: {
          eonCompiler: false,
          sensor: 'unknown',
          arduinoLibraryName: '',
          tinkergenLibraryName: '',
          particleLibraryName: '',
        },
        experiments: [],
        latencyDevices: [],
        urls: {},
        showCreateFirstImpulse: !impulseCreated,
        showGettingStartedWizard: { showWizard: false, step: 0 },
        performance: {
          gpu: false,
          jobLimitM: 0,
          dspFileSizeMb: 0,
          enterprisePerformance: false,
          trainJobRamMb: 0,
        },
        trainJobNotificationUids: [],
        dspJobNotificationUids: [],
        modelTestingJobNotificationUids: [],
        exportJobNotificationUids: [],
        hasNewTrainingData: false,
        studioUrl: `${url.origin}/projects/${projectId}`,
        inPretrainedModelFlow: false,
        showSensorDataInAcquisitionGraph: false,
        notifications: [],
      });
    },
  }),
  route({
    method: 'GET',
    path: '/api/{projectId}/apikeys',
    operationId: 'listProjectApiKeys',
    summary: 'The API keys scoped to this project (admin), masked',
    tags: ['Projects'],
    params: projectIdParams,
    response: listApiKeysResponseSchema,
    security: SECURITY,
    async handler({ principal, params: { projectId }, deps }) {
      // The project first (unknown or another team's: 404), then an admin of it (a key scoped to it too).
      await requireProject(deps.db, principal, projectId, 'ADMIN');
      const keys = await listApiKeys(deps.db, principal, await teamOfProject(deps.db, projectId), projectId);
      return json({
        success: true,
        apiKeys: keys
          .filter((k) => k.projectId === projectId && k.revokedAt === null)
          .map((k) => ({
            id: k.id,
            apiKey: `${k.prefix}…`,
            isDevelopmentKey: false,
            name: k.name,
            created: k.createdAt.toISOString(),
            role: eiRoleOf(k.role),
          })),
      });
    },
  }),
  route({
    method: 'POST',
    path: '/api/{projectId}/apikeys',
    operationId: 'addProjectApiKey',
    summary:
      'Create an API key scoped to this project (admin; never above the caller’s own role). Roles map onto ' +
      'this platform’s: admin -> admin, readonly -> viewer, ingestiononly / ingestion_deployment -> editor',
    tags: ['Projects'],
    params: projectIdParams,
    body: addApiKeyRequestSchema,
    response: addApiKeyResponseSchema,
    security: SECURITY,
    async handler({ principal, params: { projectId }, body, deps }) {
      if (body.apiKey !== undefined)
        throw new BadRequestError(
          'keys are generated here: leave out apiKey (the answer carries the new key)',
        );
      if (body.ttl !== undefined)
        throw new BadRequestError('keys do not expire here: leave out ttl (revoke the key instead)');
      // createTeamApiKey checks that the caller is an admin of this project (a key scoped to it may make keys
      // for it), that the role is not above the caller's, and the project.
      const key = await asProjectNotFound(
        createTeamApiKey(deps.db, principal, {
          teamId: await teamOfProject(deps.db, projectId),
          projectId,
          name: body.name,
          role: EI_ROLE_TO_ROLE[body.role],
        }),
      );
      return json({ success: true, id: key.id, apiKey: key.key });
    },
  }),
  route({
    method: 'GET',
    path: '/api/{projectId}/impulse',
    operationId: 'getImpulse',
    summary: 'The impulse: input, DSP and post-processing blocks as sent, learn blocks with the client’s ids',
    tags: ['Impulse'],
    params: projectIdParams,
    response: getImpulseResponseSchema,
    security: SECURITY,
    async handler({ principal, params: { projectId }, deps }) {
      const { stored, blocks } = await impulseOf(deps.db, principal, projectId, 'VIEWER');
      return json({ success: true, impulse: presentImpulse(stored, blocks) });
    },
  }),
  route({
    method: 'POST',
    path: '/api/{projectId}/impulse',
    operationId: 'createImpulse',
    summary:
      'Set the impulse: input/DSP/post-processing blocks stored as sent; learn blocks keep the ids the client ' +
      'chose (a new id makes a new block). Answers the impulse id',
    tags: ['Impulse'],
    params: projectIdParams,
    body: setImpulseRequestSchema,
    response: setImpulseResponseSchema,
    security: SECURITY,
    async handler({ principal, params: { projectId }, body, deps }) {
      // Blocks are stored as sent: keep them to a depth a JSON column (and its readers) handle.
      if (jsonDepth(body) > MAX_BLOCK_DEPTH)
        throw new BadRequestError(`impulse blocks nest deeper than ${MAX_BLOCK_DEPTH} levels`);
      const ids = new Set<number>();
      for (const block of body.learnBlocks) {
        if (block.id === undefined) continue;
        if (ids.has(block.id)) throw new BadRequestError(`two learn blocks have the id ${block.id}`);
        ids.add(block.id);
      }
      // Blocks without an id (this platform's earlier clients) get the next free one.
      const { blocks: existing } = await impulseOf(deps.db, principal, projectId, 'EDITOR');
      let next = Math.max(0, ...existing.map(clientIdOf), ...ids) + 1;
      const learnBlocks = body.learnBlocks.map((block) => ({ ...block, id: block.id ?? next++ }));
      const rows = await setLearnBlocks(
        deps.db,
        principal,
        projectId,
        learnBlocks.map((b) => ({ blockId: b.id, type: b.type, name: b.name, title: b.title })),
      );
      const stored: StoredImpulse = {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.type !== undefined ? { type: body.type } : {}),
        inputBlocks: body.inputBlocks,
        dspBlocks: body.dspBlocks,
        postProcessingBlocks: body.postProcessingBlocks,
        learnBlocks: Object.fromEntries(learnBlocks.map((b) => [String(b.id), b])),
      };
      await deps.db.project.update({
        where: { id: projectId },
        data: { impulse: stored as Prisma.InputJsonValue },
      });
      return json({
        success: true,
        id: IMPULSE_ID,
        learnBlocks: presentImpulse(stored, rows).learnBlocks,
      });
    },
  }),
  route({
    method: 'POST',
    path: '/api/{projectId}/impulse/get-new-block-id',
    operationId: 'getNewBlockId',
    summary: 'An unused block id for a new block of the impulse',
    tags: ['Impulse'],
    params: projectIdParams,
    response: getNewBlockIdResponseSchema,
    security: SECURITY,
    async handler({ principal, params: { projectId }, deps }) {
      const { stored, blocks } = await impulseOf(deps.db, principal, projectId, 'VIEWER');
      const used = [
        ...blocks.map(clientIdOf),
        ...[
          ...(stored?.inputBlocks ?? []),
          ...(stored?.dspBlocks ?? []),
          ...(stored?.postProcessingBlocks ?? []),
        ]
          .map((b) => Number((b as { id?: unknown }).id))
          .filter(Number.isSafeInteger),
      ];
      return json({ success: true, blockId: Math.max(0, ...used) + 1 });
    },
  }),
  route({
    method: 'GET',
    path: '/api/{projectId}/training/keras/{learnId}',
    operationId: 'getKeras',
    summary: 'A learn block’s Keras settings (the defaults this platform trains with where nothing was set)',
    tags: ['Learn'],
    params: learnParams,
    response: kerasResponseSchema,
    security: SECURITY,
    async handler({ principal, params, deps }) {
      const { projectId, block } = await learnBlockOf(deps.db, principal, params);
      const { execution } = await lastLearnBlockExecution(deps.db, principal, projectId, block.id);
      return json(presentKeras(block, Boolean(execution)));
    },
  }),
  route({
    method: 'POST',
    path: '/api/{projectId}/training/keras/{learnId}',
    operationId: 'setKeras',
    summary: 'Set a learn block’s Keras settings (only the fields given)',
    tags: ['Learn'],
    params: learnParams,
    body: kerasSettingsBodySchema,
    response: genericResponseSchema,
    security: SECURITY,
    async handler({ principal, body, params, deps }) {
      const { projectId, block } = await learnBlockOf(deps.db, principal, params);
      await updateLearnBlockSettings(deps.db, principal, projectId, block.id, body);
      return json({ success: true });
    },
  }),
  route({
    method: 'POST',
    path: '/api/{projectId}/jobs/train/keras/{learnId}',
    operationId: 'trainKerasJob',
    summary:
      'Store the given Keras settings on the learn block and start a training job with them (expert mode: a ' +
      'Keras model.to_json() document; Python scripts are refused)',
    tags: ['Jobs'],
    params: learnParams,
    body: kerasSettingsBodySchema,
    response: startJobResponseSchema,
    security: SECURITY,
    async handler({ principal, body, params, deps }) {
      const { projectId, block } = await learnBlockOf(deps.db, principal, params);
      // An impulse with a time-series input block and raw/flatten DSP blocks trains on the features of the
      // project's training samples (services/samples.ts), written as a dataset for this training.
      const features = await impulseFeatures(deps, principal, projectId, block);
      const { execution } = await trainLearnBlock(
        deps.db,
        principal,
        projectId,
        block.id,
        features === null ? body : { ...body, datasetResourceId: features },
        'edge-impulse',
        kerasTraining(deps.pretrainedModelsDir),
      );
      return json({ success: true, id: execution!.id });
    },
  }),
  route({
    method: 'GET',
    path: '/api/{projectId}/jobs',
    operationId: 'listActiveJobs',
    summary: 'Active (queued or running) jobs of the project, newest first',
    tags: ['Jobs'],
    params: projectIdParams,
    query: listJobsQuerySchema,
    response: listJobsResponseSchema,
    security: SECURITY,
    async handler({ principal, params: { projectId }, query, deps }) {
      return listJobs(deps.db, principal, projectId, query, { finished: false });
    },
  }),
  route({
    method: 'GET',
    path: '/api/{projectId}/jobs/all',
    operationId: 'listAllJobs',
    summary: 'All jobs of the project, newest first (filters: startDate, endDate, finished, category, key)',
    tags: ['Jobs'],
    params: projectIdParams,
    query: listAllJobsQuerySchema,
    response: listJobsResponseSchema,
    security: SECURITY,
    async handler({ principal, params: { projectId }, query, deps }) {
      const finished =
        query.finished === 'true' || query.finished === 'successful' || query.finished === 'failed'
          ? true
          : query.finished === 'false'
            ? false
            : undefined;
      const outcome =
        query.finished === 'successful' || query.finished === 'failed' ? query.finished : undefined;
      return listJobs(
        deps.db,
        principal,
        projectId,
        query,
        { ...query, finished, outcome },
        (job) =>
          (query.category === undefined ||
            job.category === query.category ||
            job.categoryKey === query.category) &&
          (query.key === undefined || job.key === query.key),
      );
    },
  }),
  route({
    method: 'GET',
    path: '/api/{projectId}/jobs/history',
    operationId: 'listFinishedJobs',
    summary: 'Finished jobs of the project, newest first (filters: startDate, endDate)',
    tags: ['Jobs'],
    params: projectIdParams,
    query: listFinishedJobsQuerySchema,
    response: listJobsResponseSchema,
    security: SECURITY,
    async handler({ principal, params: { projectId }, query, deps }) {
      return listJobs(deps.db, principal, projectId, query, { ...query, finished: true });
    },
  }),
  route({
    method: 'GET',
    path: '/api/{projectId}/jobs/{jobId}/status',
    operationId: 'getJobStatus',
    summary: 'Status of a job',
    tags: ['Jobs'],
    params: jobParams,
    response: jobStatusResponseSchema,
    security: SECURITY,
    async handler({ principal, params: { projectId, jobId }, deps }) {
      if (isModelTestingJobId(jobId))
        return json({ success: true, job: await getModelTestingJob(deps.db, principal, projectId, jobId) });
      const execution = await getExecution(deps.db, principal, jobId, { projectId });
      const [job] = await presentJobs(deps.db, [execution]);
      return json({ success: true, job });
    },
  }),
  route({
    method: 'GET',
    path: '/api/{projectId}/jobs/{jobId}/stdout',
    operationId: 'getJobsLogs',
    summary:
      'The last log lines of a job (limit, default 1000), oldest first; logLevel keeps that level and worse',
    tags: ['Jobs'],
    params: jobParams,
    query: stdoutQuerySchema,
    response: jobLogsResponseSchema,
    security: SECURITY,
    async handler({ principal, params, query, deps }) {
      const { stdout, totalCount } = await jobLines(deps.db, principal, params, query);
      return json({ success: true, stdout, totalCount });
    },
  }),
  route({
    method: 'GET',
    path: '/api/{projectId}/jobs/{jobId}/stdout/download',
    operationId: 'downloadJobsLogs',
    summary: 'The log of a job as text (the last `limit` lines; logLevel as for stdout)',
    tags: ['Jobs'],
    params: jobParams,
    query: stdoutQuerySchema,
    response: 'file',
    security: SECURITY,
    async handler({ principal, params, query, deps }) {
      const { executionId, stdout } = await jobLines(deps.db, principal, params, query);
      return new Response(stdout.map((line) => line.data).join(''), {
        headers: {
          'content-type': 'text/plain; charset=utf-8',
          'content-disposition': `attachment; filename="job-${executionId}.log"`,
        },
      });
    },
  }),
  route({
    method: 'POST',
    path: '/api/{projectId}/jobs/{jobId}/cancel',
    operationId: 'cancelJob',
    summary: 'Cancel a queued or running job (a finished one is an error)',
    tags: ['Jobs'],
    params: jobParams,
    response: genericResponseSchema,
    security: SECURITY,
    async handler({ principal, params: { projectId, jobId }, deps }) {
      const execution = await requestStop(deps.db, principal, jobId, 'CANCEL', { projectId });
      if (isTerminal(execution.status) && execution.stopRequest !== 'CANCEL')
        throw new DomainError('CONFLICT', `job ${jobId} has already finished`);
      return json({ success: true });
    },
  }),
  route({
    method: 'GET',
    path: '/api/{projectId}/training/keras/{learnId}/metadata',
    operationId: 'getKerasMetadata',
    summary: 'Results of the last finished training of a learn block (hasTrainedModel false before one)',
    tags: ['Learn'],
    params: learnParams,
    response: kerasMetadataResponseSchema,
    security: SECURITY,
    async handler({ principal, params, deps }) {
      const { projectId, block } = await learnBlockOf(deps.db, principal, params);
      const { execution } = await lastLearnBlockExecution(deps.db, principal, projectId, block.id);
      const mode = problemTypeOf(block.type);
      const neutral = {
        success: true,
        layers: [],
        imageInputScaling: '0..1',
        thresholds: [],
        availableModelTypes: ['float32'],
        recommendedModelType: 'float32',
        mode,
      };
      if (!execution) {
        return json({
          ...neutral,
          hasTrainedModel: false,
          created: block.updatedAt.toISOString(),
          classNames: [],
          labels: [],
          modelValidationMetrics: [],
          availableModelTypes: [],
        });
      }
      const metrics = executionMetricsSchema.safeParse(execution.metrics ?? {});
      const m = metrics.success ? metrics.data : {};
      return json({
        ...neutral,
        hasTrainedModel: true,
        created: (execution.finishedAt ?? execution.updatedAt).toISOString(),
        classNames: m.classNames ?? [],
        labels: m.classNames ?? [],
        modelValidationMetrics: [
          {
            type: 'float32',
            loss: m.loss ?? m.mse ?? 0,
            ...(m.accuracy !== undefined ? { accuracy: m.accuracy } : {}),
            confusionMatrix: m.confusionMatrix ?? [],
            report: m.report ?? {},
            onDevicePerformance: [],
            visualization: 'none',
            isSupportedOnMcu: false,
            additionalMetrics: [],
          },
        ],
        jobId: execution.id,
      });
    },
  }),
  route({
    method: 'GET',
    path: '/api/{projectId}/socket-token',
    operationId: 'getSocketToken',
    summary: 'A token for the socket.io connection (job-data-{jobId}, job-finished-{jobId}, job-finished)',
    tags: ['Projects'],
    params: projectIdParams,
    response: socketTokenResponseSchema,
    security: SECURITY,
    async handler({ principal, params: { projectId }, deps }) {
      await requireProject(deps.db, principal, projectId, 'VIEWER');
      const { token, expires } = signSocketToken(principal, projectId, deps.jwtSecret);
      return json({ success: true, token: { socketToken: token, expires: expires.toISOString() } });
    },
  }),
];

/**
 * The feature dataset a learn block trains on when the impulse has a time-series input block and raw/flatten
 * DSP blocks (the learn block's `dsp` ids, else all) and the project has labelled training samples, written
 * from those samples; null otherwise (the learn block then trains on the project's dataset).
 */
async function impulseFeatures(
  deps: RestDeps,
  principal: Principal,
  projectId: number,
  block: LearnBlock,
): Promise<number | null> {
  const project = await requireProject(deps.db, principal, projectId, 'EDITOR');
  const stored = project.impulse as StoredImpulse | null;
  const dsp = stored?.learnBlocks?.[String(clientIdOf(block))]?.dsp;
  const dspIds = Array.isArray(dsp) ? dsp.map(Number) : undefined;
  // DSP blocks not computed here (spectral analysis, MFCC, ...), none, or no samples: the learn block trains
  // on the project's dataset as before. Checked before the pipeline is read, so that an impulse made for the
  // dataset path (an input block without a window size, say) is not held to the sample path's rules.
  const blocks = ((stored?.dspBlocks ?? []) as { id?: unknown; type?: unknown }[]).filter(
    (b) => !dspIds?.length || dspIds.includes(Number(b.id)),
  );
  if (blocks.length === 0 || !blocks.every((b) => (DSP_TYPES as readonly string[]).includes(String(b.type))))
    return null;
  const samples = await deps.db.sample.count({
    where: { projectId, category: 'training', label: { not: '' } },
  });
  if (samples === 0) return null;
  const pipeline = impulsePipeline(stored, dspIds);
  if (!pipeline) return null;
  return (await writeFeatureDataset(deps, principal, projectId, pipeline, 'training')).resourceId;
}

/** How deep an impulse's blocks (stored as sent) may nest. */
const MAX_BLOCK_DEPTH = 16;

/** Nesting depth of a JSON value (0 for a scalar); stops counting past MAX_BLOCK_DEPTH + 1. */
function jsonDepth(value: unknown, depth = 0): number {
  if (typeof value !== 'object' || value === null || depth > MAX_BLOCK_DEPTH) return depth;
  let max = depth + 1;
  for (const child of Object.values(value)) max = Math.max(max, jsonDepth(child, depth + 1));
  return max;
}

/** The team of a live project (NOT_FOUND for an unknown one); callers check access with the services. */
async function teamOfProject(db: Db, projectId: number): Promise<number> {
  const project = await db.project.findFirst({
    where: { id: projectId, deletedAt: null },
    select: { teamId: true },
  });
  if (!project) throw new DomainError('NOT_FOUND', 'project not found');
  return project.teamId;
}

/** Another team's project answers exactly like an unknown one ("team not found" would tell them apart). */
async function asProjectNotFound<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof DomainError && error.code === 'NOT_FOUND')
      throw new DomainError('NOT_FOUND', 'project not found');
    throw error;
  }
}

/** Jobs still queued or running, and ended ones (`finished` of presentJob: the terminal statuses). */
const ACTIVE: Prisma.ExecutionWhereInput = { status: { notIn: [...TERMINAL_STATUSES] } };
const FINISHED: Prisma.ExecutionWhereInput = { status: { in: [...TERMINAL_STATUSES] } };

/** Which jobs a list shows: ended (true) or active (false) ones, created in [startDate, endDate]. */
interface JobFilter {
  finished?: boolean;
  /** Only finished jobs that succeeded / failed (listAllJobs' `finished=successful|failed`). */
  outcome?: 'successful' | 'failed';
  startDate?: Date;
  endDate?: Date;
}

type ListedJob = ReturnType<typeof presentJob> | ModelTestingJob;

/**
 * One page of a project's jobs (newest first) matching `filter`, as ListJobsResponse: its trainings
 * (executions) and its model testing jobs (services/model-testing.ts), merged by creation time. `keep`
 * filters the presented jobs (category/key, which are derived): then the page and the total are over the kept
 * ones.
 */
async function listJobs(
  db: Db,
  principal: Principal,
  projectId: number,
  query: { limit: number; offset: number },
  filter: JobFilter,
  keep?: (job: ListedJob) => boolean,
) {
  await requireProject(db, principal, projectId, 'VIEWER');
  const where: Prisma.ExecutionWhereInput = {
    projectId,
    task: { deletedAt: null },
    ...(filter.outcome === 'successful'
      ? { status: 'COMPLETED' }
      : filter.outcome === 'failed'
        ? { status: { in: TERMINAL_STATUSES.filter((status) => status !== 'COMPLETED') } }
        : filter.finished === true
          ? FINISHED
          : filter.finished === false
            ? ACTIVE
            : {}),
    ...(filter.startDate || filter.endDate
      ? {
          createdAt: {
            ...(filter.startDate ? { gte: filter.startDate } : {}),
            ...(filter.endDate ? { lte: filter.endDate } : {}),
          },
        }
      : {}),
  };
  const testing = (await listModelTestingJobs(db, principal, projectId)).filter(
    (job) =>
      (filter.finished === undefined || (job.finished !== undefined) === filter.finished) &&
      (filter.outcome === undefined || job.finishedSuccessful === (filter.outcome === 'successful')) &&
      (!filter.startDate || Date.parse(job.created) >= filter.startDate.getTime()) &&
      (!filter.endDate || Date.parse(job.created) <= filter.endDate.getTime()) &&
      (!keep || keep(job)),
  );
  // Without `keep`, the database counts the trainings and reads only those the page can hold: the k-th
  // newest is at merged position k + (model testing jobs newer than it) <= k + testing.length, so the first
  // offset - testing.length end before the page. With `keep`, the kept ones of the newest 10,000.
  const skip = keep ? 0 : Math.max(0, query.offset - testing.length);
  const end = query.offset + query.limit - skip;
  let trainings: ListedJob[];
  let trainingTotal: number;
  if (!keep) {
    const [executions, total] = await Promise.all([
      db.execution.findMany({ where, orderBy: { id: 'desc' }, skip, take: end }),
      db.execution.count({ where }),
    ]);
    trainings = await presentJobs(db, executions);
    trainingTotal = total;
  } else {
    const executions = await db.execution.findMany({ where, orderBy: { id: 'desc' }, take: 10_000 });
    trainings = (await presentJobs(db, executions)).filter(keep);
    trainingTotal = trainings.length;
  }
  // Both lists are newest first: merge them (on equal times, the higher id first).
  const merged: ListedJob[] = [];
  let a = 0;
  let b = 0;
  while (merged.length < end && (a < trainings.length || b < testing.length)) {
    const t = trainings[a];
    const m = testing[b];
    const trainingFirst =
      m === undefined ||
      (t !== undefined && (t.created > m.created || (t.created === m.created && t.id > m.id)));
    merged.push(trainingFirst ? trainings[a++]! : testing[b++]!);
  }
  return json({
    success: true,
    jobs: merged.slice(query.offset - skip, end),
    totalJobCount: trainingTotal + testing.length,
  });
}

export const edgeImpulseStyle: RestStyle = {
  basePath: EI_BASE,
  routes: [...eiRoutes, ...eiDataRoutes],
  authenticate: eiAuthenticate,
  errorResponse: eiErrorResponse,
  notFound: () => json({ success: false, error: 'Not found' }, 404),
};
