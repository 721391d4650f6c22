import type { Hyperparameters } from '@trainhub/db';
import { z } from 'zod';
import { parseAuthorization, principalFromApiKey, principalFromBasic } from '../../auth/resolve';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../services/errors';
import { getExecutionWithHistory, requestStop, deleteExecution } from '../../services/executions';
import {
  createProject,
  deleteProject,
  getProject,
  listProjects,
  updateProject,
} from '../../services/projects';
import {
  deleteResource,
  getResource,
  listResources,
  openResource,
  uploadResources,
} from '../../services/resources';
import {
  LIST_RUNS_PER_TASK,
  TASK_PAGE,
  TASK_RUNS,
  deleteTask,
  getTaskWithHistory,
  listTasksWithHistory,
} from '../../services/tasks';
import { trainFromArchitecture } from '../../services/trainings';
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
  MLW_BASE,
  TRAIN_NN_MANDATORY,
  mlwIndividualTaskSchema,
  mlwProjectListSchema,
  mlwProjectSchema,
  mlwResourceListSchema,
  mlwResourceSchema,
  mlwTaskListSchema,
  mlwTaskSchema,
  projectBodySchema,
  projectIdParam,
  projectUpdateSchema,
  resourceIdParam,
  trainNNBodySchema,
} from './contracts';
import { parseMlwId, presentIndividualTask, presentProject, presentResource, presentTask } from './present';

const INFO = 'https://cumulocity.com/guides/reference/rest-implementation/#error_reporting';

/** No or bad credentials, answered in Cumulocity's auth error shape. */
class MlwAuthError extends Error {
  constructor(readonly missing: boolean) {
    super(missing ? 'No auth information found' : 'Invalid credentials!');
  }
}

/** The seed's 400: a mandatory hyperparameter is absent. */
class MissingHyperparameterError extends Error {}

/** The MLW style's one error mapper. */
export function mlwErrorResponse(error: unknown): Response {
  const body = (status: number, message: string) =>
    json({ message, errorCode: status, exception: message }, status);
  if (error instanceof MlwAuthError) {
    return json(
      error.missing
        ? { error: 'general/internalError', message: 'No auth information found', info: INFO }
        : { error: 'security/Unauthorized', message: 'Invalid credentials!', info: INFO },
      401,
    );
  }
  if (error instanceof MissingHyperparameterError)
    return body(400, 'one of mandatory hyperparameter not found');
  if (error instanceof ContractError) {
    const issue = error.issues[0];
    const where = issue?.path.length ? issue.path.map(String).join('.') : error.location;
    return body(400, `invalid value for ${where}: ${issue?.message ?? 'invalid'}`);
  }
  if (error instanceof BadRequestError) return body(error.status, error.message);
  if (error instanceof MethodNotAllowedError) return body(405, 'method not allowed');
  if (error instanceof DomainError) {
    switch (error.code) {
      case 'UNAUTHENTICATED':
        return json({ error: 'security/Unauthorized', message: error.message, info: INFO }, 401);
      case 'FORBIDDEN':
        return json({ error: 'security/Forbidden', message: error.message, info: INFO }, 403);
      case 'NOT_FOUND':
        return body(404, error.message);
      case 'CONFLICT':
        return body(409, error.message);
      case 'TOO_LARGE':
        return body(413, error.message);
      default:
        return body(400, error.message);
    }
  }
  console.error('mlw: unexpected error', error instanceof Error ? error.stack : String(error));
  return body(500, 'internal server error');
}

/** `Authorization: Basic user:password | tenant/user:password` or `Bearer <api key>`. */
async function principalOf(ctx: RouteContext): Promise<Principal> {
  const auth = parseAuthorization(ctx.request.headers.get('authorization'));
  if (!auth) throw new MlwAuthError(!ctx.request.headers.get('authorization'));
  const principal =
    auth.scheme === 'bearer'
      ? await principalFromApiKey(ctx.deps.db, auth.token)
      : await principalFromBasic(ctx.deps.db, auth.user, auth.password);
  if (!principal) throw new MlwAuthError(false);
  return principal;
}

const projectIdOf = (ctx: RouteContext) => parseMlwId(ctx.params.projectID ?? '', 'Project');
const resourceIdOf = (ctx: RouteContext) => parseMlwId(ctx.params.resourceID ?? '', 'Resource');
const numericId = (raw: string | undefined) => (raw && /^\d{1,15}$/.test(raw) ? Number(raw) : -1);

const projectParams = z.object({ projectID: projectIdParam });
const resourceParams = projectParams.extend({ resourceID: resourceIdParam });
const taskParams = z.object({ taskID: z.string().regex(/^\d+$/) });
const subTaskParams = taskParams.extend({ subTaskID: z.string().regex(/^\d+$/) });
const SECURITY = ['basicAuth', 'bearerAuth'];
const taskPageQuery = z.object({
  pageSize: z.coerce.number().int().min(1).max(500).default(TASK_PAGE),
  currentPage: z.coerce.number().int().min(1).max(1_000_000).default(1),
});

function toHyperparameters(body: z.infer<typeof trainNNBodySchema>): Hyperparameters {
  return {
    epochs: body.epoch,
    batchSize: body.batchSize,
    learningRate: body.learningRate,
    optimizer: body.optimizer.toLowerCase(),
    loss: body.loss,
    metrics: body.metrics,
    ...(body.stepPerEpoch ? { stepsPerEpoch: body.stepPerEpoch } : {}),
    testSize: body.testSize,
    ...(body.shuffleData !== undefined ? { shuffle: body.shuffleData } : {}),
  };
}

function startOf(body: z.infer<typeof trainNNBodySchema>): Date | null {
  if (!body.startDate) return null;
  const date = new Date(
    `${body.startDate}T${(body.startTimeH ?? '0').padStart(2, '0')}:${(body.startTimeM ?? '0').padStart(2, '0')}:00Z`,
  );
  if (Number.isNaN(date.getTime()))
    throw new DomainError('INVALID', 'invalid startDate/startTimeH/startTimeM');
  return date;
}

export const mlwRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: '/projects',
    operationId: 'listProjects',
    summary: 'List projects',
    tags: ['Projects'],
    response: mlwProjectListSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const projects = await listProjects(ctx.deps.db, principal);
      return json(projects.map((p) => presentProject(p, p.resources)));
    },
  },
  {
    method: 'POST',
    path: '/projects',
    operationId: 'createProject',
    summary: 'Create a project',
    tags: ['Projects'],
    body: projectBodySchema,
    response: mlwProjectSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const body = parseWith(projectBodySchema, await readJson(ctx.request), 'body');
      return json(presentProject(await createProject(ctx.deps.db, principal, body)));
    },
  },
  {
    method: 'GET',
    path: '/projects/{projectID}',
    operationId: 'getProject',
    summary: 'Get a project',
    tags: ['Projects'],
    params: projectParams,
    response: mlwProjectSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const project = await getProject(ctx.deps.db, principal, projectIdOf(ctx));
      return json(presentProject(project, project.resources));
    },
  },
  {
    method: 'PUT',
    path: '/projects/{projectID}',
    operationId: 'updateProject',
    summary: 'Update a project (name, description)',
    tags: ['Projects'],
    params: projectParams,
    body: projectUpdateSchema,
    response: mlwProjectSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const body = parseWith(projectUpdateSchema, (await readJson(ctx.request)) ?? {}, 'body');
      return json(presentProject(await updateProject(ctx.deps.db, principal, projectIdOf(ctx), body)));
    },
  },
  {
    method: 'DELETE',
    path: '/projects/{projectID}',
    operationId: 'deleteProject',
    summary: 'Delete a project (admin)',
    tags: ['Projects'],
    params: projectParams,
    response: mlwProjectSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      return json(presentProject(await deleteProject(ctx.deps.db, principal, projectIdOf(ctx))));
    },
  },
  {
    method: 'GET',
    path: '/projects/{projectID}/resources',
    operationId: 'listResources',
    summary: 'List the files of a project',
    tags: ['Resources'],
    params: projectParams,
    response: mlwResourceListSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      return json((await listResources(ctx.deps.db, principal, projectIdOf(ctx))).map(presentResource));
    },
  },
  {
    method: 'POST',
    path: '/projects/{projectID}/resources',
    operationId: 'uploadResource',
    summary: 'Upload a file (multipart field `file`); its extension picks the group',
    tags: ['Resources'],
    params: projectParams,
    multipart: { files: ['file'] },
    response: mlwResourceSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const files = multipartFiles(ctx.request, { maxFileBytes: ctx.deps.uploadLimitBytes, files: ['file'] });
      const resources = await uploadResources(ctx.deps, principal, projectIdOf(ctx), files);
      if (resources.length === 0) throw new BadRequestError('the multipart field `file` is missing');
      return json(presentResource(resources[0]!));
    },
  },
  {
    method: 'GET',
    path: '/projects/{projectID}/resources/{resourceID}',
    operationId: 'getResource',
    summary: 'Get a file’s metadata',
    tags: ['Resources'],
    params: resourceParams,
    response: mlwResourceSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      return json(
        presentResource(await getResource(ctx.deps.db, principal, projectIdOf(ctx), resourceIdOf(ctx))),
      );
    },
  },
  {
    method: 'GET',
    path: '/projects/{projectID}/resources/{resourceID}/download',
    operationId: 'downloadResource',
    summary: 'Download a file',
    tags: ['Resources'],
    params: resourceParams,
    response: 'file',
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const { resource, stream } = await openResource(
        ctx.deps,
        principal,
        projectIdOf(ctx),
        resourceIdOf(ctx),
      );
      return fileResponse(
        stream,
        resource.name,
        resource.contentType ?? 'application/octet-stream',
        resource.size,
      );
    },
  },
  {
    method: 'DELETE',
    path: '/projects/{projectID}/resources/{resourceID}',
    operationId: 'deleteResource',
    summary: 'Delete a file (admin)',
    tags: ['Resources'],
    params: resourceParams,
    response: mlwResourceSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      return json(
        presentResource(await deleteResource(ctx.deps, principal, projectIdOf(ctx), resourceIdOf(ctx))),
      );
    },
  },
  {
    method: 'POST',
    path: '/projects/{projectID}/resources/{resourceID}/trainNN',
    operationId: 'trainNN',
    summary: 'Train a neural network from an architecture file (JSON body, any content type)',
    tags: ['Neural network'],
    params: resourceParams,
    body: trainNNBodySchema,
    response: mlwTaskSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const raw = await readJson(ctx.request);
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        throw new BadRequestError('the body must be a JSON object');
      const record = raw as Record<string, unknown>;
      if (
        TRAIN_NN_MANDATORY.some(
          (key) => record[key] === undefined || record[key] === null || record[key] === '',
        )
      ) {
        throw new MissingHyperparameterError();
      }
      const body = parseWith(trainNNBodySchema, raw, 'body');
      const repeat = body.recurrence === 'REPEAT';
      if (repeat && !body.cronExpression.trim())
        throw new DomainError('INVALID', 'a REPEAT training needs a cronExpression');
      const startAt = startOf(body);
      const { task, execution } = await trainFromArchitecture(ctx.deps, principal, {
        projectId: projectIdOf(ctx),
        architectureResourceId: resourceIdOf(ctx),
        datasetResourceId: parseMlwId(body.dataID, 'Resource'),
        codeResourceId: parseMlwId(body.codeID, 'Resource'),
        problemType: body.problemType,
        modelName: body.modelName,
        hyperparameters: toHyperparameters(body),
        schedule: repeat
          ? { kind: 'CRON', cronExpression: body.cronExpression, startAt }
          : { kind: 'ONE_TIME', startAt },
        source: 'mlw',
      });
      const project = await getProject(ctx.deps.db, principal, task.projectId);
      return json(presentTask({ ...task, project }, execution ? [execution] : [], new Map()));
    },
  },
  {
    method: 'GET',
    path: '/tasks',
    operationId: 'listTasks',
    summary: `List tasks, newest first, a page at a time (Cumulocity's pageSize/currentPage), each with its ${LIST_RUNS_PER_TASK} newest runs`,
    tags: ['Tasks'],
    query: taskPageQuery,
    response: mlwTaskListSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const page = parseWith(taskPageQuery, queryObject(ctx.url), 'query');
      const { tasks, history } = await listTasksWithHistory(ctx.deps.db, principal, {
        runsPerTask: LIST_RUNS_PER_TASK,
        take: page.pageSize,
        skip: (page.currentPage - 1) * page.pageSize,
      });
      return json(tasks.map((t) => presentTask(t, t.executions, history)));
    },
  },
  {
    method: 'GET',
    path: '/tasks/{taskID}',
    operationId: 'getTask',
    summary: `Get a task with its ${TASK_RUNS} newest individual tasks (each run also at /tasks/{taskID}/task/{subTaskID})`,
    tags: ['Tasks'],
    params: taskParams,
    response: mlwTaskSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const { task, history } = await getTaskWithHistory(
        ctx.deps.db,
        principal,
        numericId(ctx.params.taskID),
        { runs: TASK_RUNS },
      );
      return json(presentTask(task, task.executions, history));
    },
  },
  {
    method: 'DELETE',
    path: '/tasks/{taskID}',
    operationId: 'deleteTask',
    summary: 'Delete a task and its schedule (admin)',
    tags: ['Tasks'],
    params: taskParams,
    response: mlwTaskSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const task = await deleteTask(ctx.deps.db, principal, numericId(ctx.params.taskID));
      return json({ ...presentTask(task, task.executions, new Map()), status: 'NOT SCHEDULED' });
    },
  },
  {
    method: 'GET',
    path: '/tasks/{taskID}/task/{subTaskID}',
    operationId: 'getIndividualTask',
    summary: 'Get one run of a task (status, log, history)',
    tags: ['Tasks'],
    params: subTaskParams,
    response: mlwIndividualTaskSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const { task, execution, history } = await getExecutionWithHistory(
        ctx.deps.db,
        principal,
        numericId(ctx.params.taskID),
        numericId(ctx.params.subTaskID),
      );
      return json(presentIndividualTask(task, execution, history));
    },
  },
  {
    method: 'PUT',
    path: '/tasks/{taskID}/task/{subTaskID}',
    operationId: 'stopIndividualTask',
    summary: 'Stop a running training early; the model trained so far is kept',
    tags: ['Tasks'],
    params: subTaskParams,
    response: mlwIndividualTaskSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const taskId = numericId(ctx.params.taskID);
      const executionId = numericId(ctx.params.subTaskID);
      await requestStop(ctx.deps.db, principal, executionId, 'STOP', { taskId });
      const { task, execution, history } = await getExecutionWithHistory(
        ctx.deps.db,
        principal,
        taskId,
        executionId,
      );
      return json(presentIndividualTask(task, execution, history));
    },
  },
  {
    method: 'DELETE',
    path: '/tasks/{taskID}/task/{subTaskID}',
    operationId: 'deleteIndividualTask',
    summary: 'Delete one finished or queued run of a task (admin)',
    tags: ['Tasks'],
    params: subTaskParams,
    response: mlwIndividualTaskSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const taskId = numericId(ctx.params.taskID);
      const { task, execution, history } = await getExecutionWithHistory(
        ctx.deps.db,
        principal,
        taskId,
        numericId(ctx.params.subTaskID),
      );
      await deleteExecution(ctx.deps.db, principal, execution.id, { taskId });
      return json(presentIndividualTask(task, execution, history));
    },
  },
];

export const mlwStyle: RestStyle = {
  basePath: MLW_BASE,
  routes: mlwRoutes,
  errorResponse: mlwErrorResponse,
  notFound: () =>
    json({ message: 'resource not found', errorCode: 404, exception: 'resource not found' }, 404),
};
