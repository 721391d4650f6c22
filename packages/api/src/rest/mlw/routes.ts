import type { Hyperparameters } from '@trainhub/db';
import { z } from 'zod';
import { parseAuthorization, principalFromApiKey, principalFromBasic } from '../../auth/resolve';
import { LoginRateLimitedError } from '../../auth/login-limit';
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
  openResource,
  uploadResources,
  type IncomingFile,
} from '../../services/resources';
import {
  LIST_RUNS_PER_TASK,
  TASK_PAGE,
  TASK_RUNS,
  deleteTask,
  getTaskWithHistory,
  listTasksWithHistory,
} from '../../services/tasks';
import { deploy, findDeployed, listDeployed, scoreDataset, undeploy } from '../../services/predictions';
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
  createNewBodySchema,
  mlwEarlyStopSchema,
  mlwDeployedListSchema,
  mlwIndividualTaskSchema,
  mlwPreviewSchema,
  mlwProjectListSchema,
  mlwProjectSchema,
  mlwProjectWithResourcesSchema,
  mlwResourceSchema,
  mlwSaveAnswerSchema,
  mlwTaskListSchema,
  mlwTaskMapSchema,
  mlwTaskSchema,
  projectBodySchema,
  projectIdParam,
  projectUpdateSchema,
  resourceIdParam,
  saveBodySchema,
  trainNNBodySchema,
} from './contracts';
import {
  MLW_UPLOAD_EXTENSIONS,
  extensionOf,
  isMlwKind,
  parseMlwId,
  presentIndividualTask,
  presentProject,
  presentProjectWithResources,
  presentResource,
  presentTask,
} from './present';
import {
  MlwError,
  MlwVariableIssue,
  assertProjectNameFree,
  createFromTemplate,
  loadRunExtras,
  previewText,
  projectResources,
  recordDataProperties,
  saveText,
} from './support';

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
  // Too many failed passwords: Cumulocity's 401 shape (what its clients handle), saying why and for how long.
  if (error instanceof LoginRateLimitedError) {
    const message = `Invalid credentials! : ${error.message}`;
    return json({ error: 'security/Unauthorized', message, info: INFO }, 401, {
      'retry-after': String(error.retryAfterSeconds),
    });
  }
  if (error instanceof MissingHyperparameterError)
    return body(400, 'one of mandatory hyperparameter not found');
  if (error instanceof MlwError)
    return json(
      { message: error.message, errorCode: error.status, exception: error.exception },
      error.status,
    );
  if (error instanceof MlwVariableIssue) {
    return json(
      {
        error: 'general/Internal Error',
        message: 'Variable issue',
        info: [{ loc: error.loc, msg: error.msg, type: 'value_error' }],
      },
      400,
    );
  }
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
      : await principalFromBasic(ctx.deps.db, auth.user, auth.password, ctx.clientIp);
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

/** The start of a training: an ISO `startDate` (E2+), or `YYYY-MM-DD` + startTimeH/M (E1), UTC; none when absent. */
function startOf(body: z.infer<typeof trainNNBodySchema>): Date | null {
  if (!body.startDate) return null;
  const date = body.startDate.includes('T')
    ? new Date(body.startDate)
    : new Date(
        `${body.startDate}T${(body.startTimeH || '0').padStart(2, '0')}:${(body.startTimeM || '0').padStart(2, '0')}:00Z`,
      );
  if (Number.isNaN(date.getTime()))
    throw new DomainError('INVALID', 'invalid startDate/startTimeH/startTimeM');
  return date;
}

/** The project with its MLW files grouped (the answer of the resource list, upload, createnew, delete, predict). */
async function projectWithResources(ctx: RouteContext, principal: Principal) {
  const project = await getProject(ctx.deps.db, principal, projectIdOf(ctx));
  const [resources, deployments] = await Promise.all([
    projectResources(ctx.deps.db, project.id),
    deploymentsOf(ctx, principal, project.id),
  ]);
  return presentProjectWithResources(project, resources, deployments);
}

/** The project's deployed models by resource id, as MLW names them (`mleID` = the registry name). */
async function deploymentsOf(ctx: RouteContext, principal: Principal, projectId: number) {
  const deployed = await listDeployed(ctx.deps.db, principal, projectId);
  return new Map(deployed.map((d) => [d.modelResourceId, { mleID: d.name }]));
}

/** MLW's model kinds: our trained networks are its NN kind (reported as ONNX); PMML and pipelines are not made here. */
const MODEL_TYPES = ['PMML', 'ONNX', 'PIPELINE'];
const NN_MODEL_TYPE = 'ONNX';

/** A resource MLW shows (data, model, code, architecture); checkpoints and other files answer 404. */
async function mlwResource(ctx: RouteContext, principal: Principal) {
  const resource = await getResource(ctx.deps.db, principal, projectIdOf(ctx), resourceIdOf(ctx));
  if (!isMlwKind(resource.kind)) throw new DomainError('NOT_FOUND', 'resource not found');
  return resource;
}

/** A project body checked the E2+ reference's way: a bad field is the "Variable issue" 400 naming it (fidelity §1 #2). */
function variableIssues<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const loc = issue.path.map(String);
  throw new MlwVariableIssue(loc.length ? loc : ['body'], issue.message);
}

/** Refuses a file type MLW does not take before any byte is stored (409 "File type not supported"). */
async function* supportedOnly(files: AsyncIterable<IncomingFile>): AsyncIterable<IncomingFile> {
  for await (const file of files) {
    const extension = extensionOf(file.name);
    if (!MLW_UPLOAD_EXTENSIONS.includes(extension))
      throw new MlwError(409, 'File type not supported', 'Contact Admin for Support');
    yield /\.(png|jpe?g|gif|bmp)$/.test(extension) ? { ...file, kind: 'DATASET' } : file;
  }
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
      return json({ data: projects.map((p) => presentProject(p, p.resources)) });
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
      const body = variableIssues(projectBodySchema, await readJson(ctx.request));
      await assertProjectNameFree(ctx.deps.db, principal, body.name);
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
      const body = variableIssues(projectUpdateSchema, (await readJson(ctx.request)) ?? {});
      if (body.name !== undefined) {
        const current = await getProject(ctx.deps.db, principal, projectIdOf(ctx));
        await assertProjectNameFree(ctx.deps.db, principal, body.name, current);
      }
      const project = await updateProject(ctx.deps.db, principal, projectIdOf(ctx), body);
      return json(presentProject(project, (await getProject(ctx.deps.db, principal, project.id)).resources));
    },
  },
  {
    method: 'DELETE',
    path: '/projects/{projectID}',
    operationId: 'deleteProject',
    summary: 'Delete a project (admin); answers the remaining projects',
    tags: ['Projects'],
    params: projectParams,
    response: mlwProjectListSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      await deleteProject(ctx.deps.db, principal, projectIdOf(ctx));
      const projects = await listProjects(ctx.deps.db, principal);
      return json({ data: projects.map((p) => presentProject(p, p.resources)) });
    },
  },
  {
    method: 'GET',
    path: '/projects/{projectID}/resources',
    operationId: 'listResources',
    summary: 'The project with its files by group (data, model, code, pipeline, workflow, nn-designer)',
    tags: ['Resources'],
    params: projectParams,
    response: mlwProjectWithResourcesSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      return json(await projectWithResources(ctx, principal));
    },
  },
  {
    method: 'POST',
    path: '/projects/{projectID}/resources',
    operationId: 'uploadResource',
    summary:
      'Upload a file (multipart field `file`: csv, txt, json, images, zip, py, onnx, architecture; others 409); answers the project with its files',
    tags: ['Resources'],
    params: projectParams,
    multipart: { files: ['file'] },
    response: mlwProjectWithResourcesSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const files = multipartFiles(ctx.request, { maxFileBytes: ctx.deps.uploadLimitBytes, files: ['file'] });
      const resources = await uploadResources(ctx.deps, principal, projectIdOf(ctx), supportedOnly(files));
      if (resources.length === 0) throw new BadRequestError('the multipart field `file` is missing');
      await recordDataProperties(ctx.deps, resources);
      return json(await projectWithResources(ctx, principal));
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
      const resource = await mlwResource(ctx, principal);
      const deployments = await deploymentsOf(ctx, principal, resource.projectId);
      return json(presentResource(resource, deployments.get(resource.id) ?? null));
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
    summary: 'Delete a file (admin); answers the project with its remaining files',
    tags: ['Resources'],
    params: resourceParams,
    response: mlwProjectWithResourcesSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      await mlwResource(ctx, principal);
      await deleteResource(ctx.deps, principal, projectIdOf(ctx), resourceIdOf(ctx));
      return json(await projectWithResources(ctx, principal));
    },
  },
  {
    method: 'POST',
    path: '/projects/{projectID}/resources/createnew',
    operationId: 'createNewResource',
    summary:
      'NN designer: create an architecture (`{type: "arch", name, template: "None"|"MobileNet"}`) or preprocessing code (`{type: "py", name}`) from a template; answers the project with its files',
    tags: ['Resources'],
    params: projectParams,
    body: createNewBodySchema,
    response: mlwProjectWithResourcesSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const raw = await readJson(ctx.request);
      const parsed = createNewBodySchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const loc = issue.path.map(String);
        throw new MlwVariableIssue(
          loc.length ? loc : ['body'],
          loc[0] === 'type' ? "permitted: 'architecture', 'arch', 'py'" : issue.message,
        );
      }
      await createFromTemplate(ctx.deps, principal, projectIdOf(ctx), parsed.data);
      return json(await projectWithResources(ctx, principal));
    },
  },
  {
    method: 'GET',
    path: '/projects/{projectID}/resources/{resourceID}/preview',
    operationId: 'previewResource',
    summary:
      'The text of a data, code or architecture file: `{content}` (the NN designer loads architectures so)',
    tags: ['Resources'],
    params: resourceParams,
    response: mlwPreviewSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      await mlwResource(ctx, principal);
      return json({ content: await previewText(ctx.deps, principal, projectIdOf(ctx), resourceIdOf(ctx)) });
    },
  },
  {
    method: 'PUT',
    path: '/projects/{projectID}/resources/{resourceID}/save',
    operationId: 'saveResource',
    summary:
      'Replace the text of a code or architecture file (`{content}`; an architecture must be in the platform format)',
    tags: ['Resources'],
    params: resourceParams,
    body: saveBodySchema,
    response: mlwSaveAnswerSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const parsed = saveBodySchema.safeParse(await readJson(ctx.request));
      if (!parsed.success) throw new MlwVariableIssue(['content'], parsed.error.issues[0]!.message);
      await mlwResource(ctx, principal);
      const saved = await saveText(
        ctx.deps,
        principal,
        projectIdOf(ctx),
        resourceIdOf(ctx),
        parsed.data.content,
      );
      return json({ message: 'File updated successfully!', data: presentResource(saved) });
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
        codeResourceId: body.codeID ? parseMlwId(body.codeID, 'Resource') : null,
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
    path: '/resources/deploy',
    operationId: 'listDeployedModels',
    summary:
      'Deployed models of every visible project: `{data: [{id, name, type}]}` (`id` = `name` = the mleID predict takes; `?type=ONNX` is the NN kind)',
    tags: ['Deployment'],
    query: z.object({ type: z.string().max(40).optional() }),
    response: mlwDeployedListSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const type = ctx.url.searchParams.get('type');
      if (type !== null && !MODEL_TYPES.includes(type))
        throw new MlwError(404, 'Invalid Model Type', 'invalid model');
      if (type !== null && type !== NN_MODEL_TYPE) return json({ data: [] });
      const deployed = await listDeployed(ctx.deps.db, principal);
      return json({ data: deployed.map((d) => ({ id: d.name, name: d.name, type: NN_MODEL_TYPE })) });
    },
  },
  {
    method: 'POST',
    path: '/projects/{projectID}/resources/{resourceID}/deploy',
    operationId: 'deployModel',
    summary:
      'Deploy a trained model under its model name (the mleID); answers the Resource with `deployed: true, mleID` (409 when another model has that name)',
    tags: ['Deployment'],
    params: resourceParams,
    response: mlwResourceSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const resource = await mlwResource(ctx, principal);
      const deployed = await deploy(ctx.deps, principal, projectIdOf(ctx), resource.id, {
        replace: false,
      }).catch((error: unknown) => {
        if (error instanceof DomainError && error.code === 'CONFLICT')
          throw new MlwError(409, error.message, 'invalid/error');
        throw error;
      });
      return json(presentResource(resource, { mleID: deployed.name }));
    },
  },
  {
    method: 'DELETE',
    path: '/projects/{projectID}/resources/{resourceID}/deploy',
    operationId: 'undeployModel',
    summary: 'End a model’s deployment (admin); answers the Resource with `deployed: false`',
    tags: ['Deployment'],
    params: resourceParams,
    response: mlwResourceSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const resource = await mlwResource(ctx, principal);
      await undeploy(ctx.deps, principal, projectIdOf(ctx), resource.id);
      return json(presentResource(resource, null));
    },
  },
  {
    method: 'GET',
    path: '/projects/{projectID}/resources/{resourceID}/predict/{modelID}',
    operationId: 'predict',
    summary:
      'Score a CSV data resource with a deployed model (modelID = its mleID): the predictions are stored as a new data resource `predicted_<data>_<epoch>.csv` (`probability_<class>` columns and `predicted_target`; regression: the value); answers the project with its files',
    tags: ['Deployment'],
    params: resourceParams.extend({ modelID: z.string().min(1).max(200) }),
    query: z.object({ type: z.string().max(40).optional() }),
    response: mlwProjectWithResourcesSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const type = ctx.url.searchParams.get('type');
      const invalid = () => new MlwError(404, 'Invalid Model Type/File Type.', 'invalid model');
      if (type !== null && type !== NN_MODEL_TYPE) throw invalid();
      const data = await mlwResource(ctx, principal);
      if (data.kind !== 'DATASET' || extensionOf(data.name) !== '.csv') throw invalid();
      const model = await findDeployed(ctx.deps.db, principal, ctx.params.modelID ?? '', data.projectId);
      await scoreDataset(ctx.deps, principal, data.projectId, model.modelResourceId, data.id, {
        resultName: `predicted_${data.name.replace(/\.csv$/i, '')}_${Math.floor(Date.now() / 1000)}.csv`,
        predictionColumn: 'predicted_target',
      });
      return json(await projectWithResources(ctx, principal));
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
      const extras = await loadRunExtras(
        ctx.deps.db,
        tasks.flatMap((t) => t.executions),
      );
      return json({ data: tasks.map((t) => presentTask(t, t.executions, history, extras)) });
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
      return json(
        presentTask(task, task.executions, history, await loadRunExtras(ctx.deps.db, task.executions)),
      );
    },
  },
  {
    method: 'DELETE',
    path: '/tasks/{taskID}',
    operationId: 'deleteTask',
    summary:
      'Delete a task and its schedule (admin); answers the remaining tasks (first page) as a map by id, their runs too',
    tags: ['Tasks'],
    params: taskParams,
    response: mlwTaskMapSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      await deleteTask(ctx.deps.db, principal, numericId(ctx.params.taskID));
      const { tasks, history } = await listTasksWithHistory(ctx.deps.db, principal, {
        runsPerTask: LIST_RUNS_PER_TASK,
        take: TASK_PAGE,
      });
      const extras = await loadRunExtras(
        ctx.deps.db,
        tasks.flatMap((t) => t.executions),
      );
      const data: Record<string, unknown> = {};
      for (const t of tasks) {
        const presented = presentTask(t, t.executions, history, extras);
        data[presented.id] = {
          ...presented,
          individualTasks: Object.fromEntries(presented.individualTasks.map((s) => [s.id, s])),
        };
      }
      return json({ data });
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
      return json(
        presentIndividualTask(task, execution, history, await loadRunExtras(ctx.deps.db, [execution])),
      );
    },
  },
  {
    method: 'PUT',
    path: '/tasks/{taskID}/task/{subTaskID}',
    operationId: 'stopIndividualTask',
    summary:
      'Stop a running training early (the model trained so far is kept; a queued run is cancelled): `{message: "Triggered early stopping"}`',
    tags: ['Tasks'],
    params: subTaskParams,
    response: mlwEarlyStopSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const taskId = numericId(ctx.params.taskID);
      const executionId = numericId(ctx.params.subTaskID);
      await requestStop(ctx.deps.db, principal, executionId, 'STOP', { taskId });
      return json({ message: 'Triggered early stopping' });
    },
  },
  {
    method: 'DELETE',
    path: '/tasks/{taskID}/task/{subTaskID}',
    operationId: 'deleteIndividualTask',
    summary: 'Delete one finished or queued run of a task (admin); answers the task list',
    tags: ['Tasks'],
    params: subTaskParams,
    response: mlwTaskListSchema,
    security: SECURITY,
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const taskId = numericId(ctx.params.taskID);
      const { execution } = await getExecutionWithHistory(
        ctx.deps.db,
        principal,
        taskId,
        numericId(ctx.params.subTaskID),
      );
      await deleteExecution(ctx.deps.db, principal, execution.id, { taskId });
      const { tasks, history } = await listTasksWithHistory(ctx.deps.db, principal, {
        runsPerTask: LIST_RUNS_PER_TASK,
        take: TASK_PAGE,
      });
      const extras = await loadRunExtras(
        ctx.deps.db,
        tasks.flatMap((t) => t.executions),
      );
      return json({ data: tasks.map((t) => presentTask(t, t.executions, history, extras)) });
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
