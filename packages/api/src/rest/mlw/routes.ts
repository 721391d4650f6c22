import type { Hyperparameters } from '@trainhub/db';
import { z } from 'zod';
import type { Principal } from '../../auth/principal';
import type { RestDeps } from '../../deps';
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
  route,
  type RestStyle,
  type RouteDef,
} from '../http';
import { authenticateCumulocity, cumulocityAuthResponse } from '../cumulocity/auth';
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
  projectParams,
  projectUpdateSchema,
  resourceParams,
  saveBodySchema,
  subTaskParams,
  taskParams,
  trainNNBodySchema,
} from './contracts';
import {
  MLW_UPLOAD_EXTENSIONS,
  extensionOf,
  isMlwKind,
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

/** The seed's 400: a mandatory hyperparameter is absent. */
class MissingHyperparameterError extends Error {}

/** The MLW style's one error mapper. */
export function mlwErrorResponse(error: unknown): Response {
  const body = (status: number, message: string) =>
    json({ message, errorCode: status, exception: message }, status);
  // No, bad or rate-limited credentials: Cumulocity's 401 shapes (what its clients handle).
  const auth = cumulocityAuthResponse(error);
  if (auth) return auth;
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
async function projectWithResources(deps: RestDeps, principal: Principal, projectId: number) {
  const project = await getProject(deps.db, principal, projectId);
  const [resources, deployments] = await Promise.all([
    projectResources(deps.db, project.id),
    deploymentsOf(deps, principal, project.id),
  ]);
  return presentProjectWithResources(project, resources, deployments);
}

/** The project's deployed models by resource id, as MLW names them (`mleID` = the registry name). */
async function deploymentsOf(deps: RestDeps, principal: Principal, projectId: number) {
  const deployed = await listDeployed(deps.db, principal, projectId);
  return new Map(deployed.map((d) => [d.modelResourceId, { mleID: d.name }]));
}

/** MLW's model kinds: our trained networks are its NN kind (reported as ONNX); PMML and pipelines are not made here. */
const MODEL_TYPES = ['PMML', 'ONNX', 'PIPELINE'] as const;
const NN_MODEL_TYPE = 'ONNX';
/** `?type=`: one of MODEL_TYPES (any other value is a route's own 404, through onInvalid). */
const modelTypeQuery = z.object({ type: z.enum(MODEL_TYPES).optional() });

/** MLW's 404 for a model type or data file predict cannot score. */
const invalidModelOrFile = () => new MlwError(404, 'Invalid Model Type/File Type.', 'invalid model');

/** A resource MLW shows (data, model, code, architecture); checkpoints and other files answer 404. */
async function mlwResource(
  deps: RestDeps,
  principal: Principal,
  { projectID, resourceID }: { projectID: number; resourceID: number },
) {
  const resource = await getResource(deps.db, principal, projectID, resourceID);
  if (!isMlwKind(resource.kind)) throw new DomainError('NOT_FOUND', 'resource not found');
  return resource;
}

/**
 * A body checked the E2+ reference's way: a bad field is the "Variable issue" 400 naming it (fidelity §1
 * #2); `message` rewords an issue where MLW words it its own way.
 */
const variableIssue =
  (message: (loc: string[], issue: z.core.$ZodIssue) => string = (_loc, issue) => issue.message) =>
  (error: ContractError) => {
    const issue = error.issues[0]!;
    const loc = issue.path.map(String);
    return new MlwVariableIssue(loc.length ? loc : ['body'], message(loc, issue));
  };

/**
 * trainNN's failures in the seed's order: a body that is not an object is a 400 saying so, a missing or
 * empty mandatory hyperparameter the seed's "one of mandatory hyperparameter not found", anything else
 * "invalid value for <field>".
 */
function trainNNInvalid(error: ContractError): unknown {
  const raw = error.failures.find((f) => f.location === 'body')?.received;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return new BadRequestError('the body must be a JSON object');
  const record = raw as Record<string, unknown>;
  if (
    TRAIN_NN_MANDATORY.some((key) => record[key] === undefined || record[key] === null || record[key] === '')
  )
    return new MissingHyperparameterError();
  return error;
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

/** POST deploys a trained model under its model name, DELETE ends that deployment: one lookup, one answer. */
const deploymentRoute = (method: 'POST' | 'DELETE', operationId: string, summary: string) =>
  route({
    method,
    path: '/projects/{projectID}/resources/{resourceID}/deploy',
    operationId,
    summary,
    tags: ['Deployment'],
    params: resourceParams,
    response: mlwResourceSchema,
    security: SECURITY,
    async handler({ principal, params, deps }) {
      const resource = await mlwResource(deps, principal, params);
      if (method === 'DELETE') {
        await undeploy(deps, principal, params.projectID, resource.id);
        return json(presentResource(resource, null));
      }
      const deployed = await deploy(deps, principal, params.projectID, resource.id, {
        replace: false,
      }).catch((error: unknown) => {
        if (error instanceof DomainError && error.code === 'CONFLICT')
          throw new MlwError(409, error.message, 'invalid/error');
        throw error;
      });
      return json(presentResource(resource, { mleID: deployed.name }));
    },
  });

/** The first page of tasks, each with its newest runs, presented (the answers of the task list and deletes). */
async function taskPage(deps: RestDeps, principal: Principal, take: number, skip = 0) {
  const { tasks, history } = await listTasksWithHistory(deps.db, principal, {
    runsPerTask: LIST_RUNS_PER_TASK,
    take,
    skip,
  });
  const extras = await loadRunExtras(
    deps.db,
    tasks.flatMap((t) => t.executions),
  );
  return tasks.map((t) => presentTask(t, t.executions, history, extras));
}

export const mlwRoutes: RouteDef[] = [
  route({
    method: 'GET',
    path: '/projects',
    operationId: 'listProjects',
    summary: 'List projects',
    tags: ['Projects'],
    response: mlwProjectListSchema,
    security: SECURITY,
    async handler({ principal, deps }) {
      const projects = await listProjects(deps.db, principal);
      return json({ data: projects.map((p) => presentProject(p, p.resources)) });
    },
  }),
  route({
    method: 'POST',
    path: '/projects',
    operationId: 'createProject',
    summary: 'Create a project',
    tags: ['Projects'],
    body: projectBodySchema,
    onInvalid: variableIssue(),
    response: mlwProjectSchema,
    security: SECURITY,
    async handler({ principal, body, deps }) {
      await assertProjectNameFree(deps.db, principal, body.name);
      return json(presentProject(await createProject(deps.db, principal, body)));
    },
  }),
  route({
    method: 'GET',
    path: '/projects/{projectID}',
    operationId: 'getProject',
    summary: 'Get a project',
    tags: ['Projects'],
    params: projectParams,
    response: mlwProjectSchema,
    security: SECURITY,
    async handler({ principal, params, deps }) {
      const project = await getProject(deps.db, principal, params.projectID);
      return json(presentProject(project, project.resources));
    },
  }),
  route({
    method: 'PUT',
    path: '/projects/{projectID}',
    operationId: 'updateProject',
    summary: 'Update a project (name, description)',
    tags: ['Projects'],
    params: projectParams,
    // No body changes nothing.
    body: projectUpdateSchema.default({}),
    onInvalid: variableIssue(),
    response: mlwProjectSchema,
    security: SECURITY,
    async handler({ principal, params, body, deps }) {
      if (body.name !== undefined) {
        const current = await getProject(deps.db, principal, params.projectID);
        await assertProjectNameFree(deps.db, principal, body.name, current);
      }
      const project = await updateProject(deps.db, principal, params.projectID, body);
      return json(presentProject(project, (await getProject(deps.db, principal, project.id)).resources));
    },
  }),
  route({
    method: 'DELETE',
    path: '/projects/{projectID}',
    operationId: 'deleteProject',
    summary: 'Delete a project (admin); answers the remaining projects',
    tags: ['Projects'],
    params: projectParams,
    response: mlwProjectListSchema,
    security: SECURITY,
    async handler({ principal, params, deps }) {
      await deleteProject(deps.db, principal, params.projectID);
      const projects = await listProjects(deps.db, principal);
      return json({ data: projects.map((p) => presentProject(p, p.resources)) });
    },
  }),
  route({
    method: 'GET',
    path: '/projects/{projectID}/resources',
    operationId: 'listResources',
    summary: 'The project with its files by group (data, model, code, pipeline, workflow, nn-designer)',
    tags: ['Resources'],
    params: projectParams,
    response: mlwProjectWithResourcesSchema,
    security: SECURITY,
    async handler({ principal, params, deps }) {
      return json(await projectWithResources(deps, principal, params.projectID));
    },
  }),
  route({
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
    async handler({ principal, params, deps, request }) {
      const files = multipartFiles(request, { maxFileBytes: deps.uploadLimitBytes, files: ['file'] });
      const resources = await uploadResources(deps, principal, params.projectID, supportedOnly(files));
      if (resources.length === 0) throw new BadRequestError('the multipart field `file` is missing');
      await recordDataProperties(deps, resources);
      return json(await projectWithResources(deps, principal, params.projectID));
    },
  }),
  route({
    method: 'GET',
    path: '/projects/{projectID}/resources/{resourceID}',
    operationId: 'getResource',
    summary: 'Get a file’s metadata',
    tags: ['Resources'],
    params: resourceParams,
    response: mlwResourceSchema,
    security: SECURITY,
    async handler({ principal, params, deps }) {
      const resource = await mlwResource(deps, principal, params);
      const deployments = await deploymentsOf(deps, principal, resource.projectId);
      return json(presentResource(resource, deployments.get(resource.id) ?? null));
    },
  }),
  route({
    method: 'GET',
    path: '/projects/{projectID}/resources/{resourceID}/download',
    operationId: 'downloadResource',
    summary: 'Download a file',
    tags: ['Resources'],
    params: resourceParams,
    response: 'file',
    security: SECURITY,
    async handler({ principal, params, deps }) {
      const { resource, stream } = await openResource(deps, principal, params.projectID, params.resourceID);
      return fileResponse(
        stream,
        resource.name,
        resource.contentType ?? 'application/octet-stream',
        resource.size,
      );
    },
  }),
  route({
    method: 'DELETE',
    path: '/projects/{projectID}/resources/{resourceID}',
    operationId: 'deleteResource',
    summary: 'Delete a file (admin); answers the project with its remaining files',
    tags: ['Resources'],
    params: resourceParams,
    response: mlwProjectWithResourcesSchema,
    security: SECURITY,
    async handler({ principal, params, deps }) {
      await mlwResource(deps, principal, params);
      await deleteResource(deps, principal, params.projectID, params.resourceID);
      return json(await projectWithResources(deps, principal, params.projectID));
    },
  }),
  route({
    method: 'POST',
    path: '/projects/{projectID}/resources/createnew',
    operationId: 'createNewResource',
    summary:
      'NN designer: create an architecture (`{type: "arch", name, template: "None"|"MobileNet"}`) or preprocessing code (`{type: "py", name}`) from a template; answers the project with its files',
    tags: ['Resources'],
    params: projectParams,
    body: createNewBodySchema,
    onInvalid: variableIssue((loc, issue) =>
      loc[0] === 'type' ? "permitted: 'architecture', 'arch', 'py'" : issue.message,
    ),
    response: mlwProjectWithResourcesSchema,
    security: SECURITY,
    async handler({ principal, params, body, deps }) {
      await createFromTemplate(deps, principal, params.projectID, body);
      return json(await projectWithResources(deps, principal, params.projectID));
    },
  }),
  route({
    method: 'GET',
    path: '/projects/{projectID}/resources/{resourceID}/preview',
    operationId: 'previewResource',
    summary:
      'The text of a data, code or architecture file: `{content}` (the NN designer loads architectures so)',
    tags: ['Resources'],
    params: resourceParams,
    response: mlwPreviewSchema,
    security: SECURITY,
    async handler({ principal, params, deps }) {
      await mlwResource(deps, principal, params);
      return json({ content: await previewText(deps, principal, params.projectID, params.resourceID) });
    },
  }),
  route({
    method: 'PUT',
    path: '/projects/{projectID}/resources/{resourceID}/save',
    operationId: 'saveResource',
    summary:
      'Replace the text of a code or architecture file (`{content}`; an architecture must be in the platform format)',
    tags: ['Resources'],
    params: resourceParams,
    body: saveBodySchema,
    // The one field is named whatever the issue (a body that is not an object included).
    onInvalid: (error) => new MlwVariableIssue(['content'], error.issues[0]!.message),
    response: mlwSaveAnswerSchema,
    security: SECURITY,
    async handler({ principal, params, body, deps }) {
      await mlwResource(deps, principal, params);
      const saved = await saveText(deps, principal, params.projectID, params.resourceID, body.content);
      return json({ message: 'File updated successfully!', data: presentResource(saved) });
    },
  }),
  route({
    method: 'POST',
    path: '/projects/{projectID}/resources/{resourceID}/trainNN',
    operationId: 'trainNN',
    summary: 'Train a neural network from an architecture file (JSON body, any content type)',
    tags: ['Neural network'],
    params: resourceParams,
    body: trainNNBodySchema,
    onInvalid: trainNNInvalid,
    response: mlwTaskSchema,
    security: SECURITY,
    async handler({ principal, params, body, deps }) {
      const repeat = body.recurrence === 'REPEAT';
      if (repeat && !body.cronExpression.trim())
        throw new DomainError('INVALID', 'a REPEAT training needs a cronExpression');
      const startAt = startOf(body);
      const { task, execution, project } = await trainFromArchitecture(deps, principal, {
        projectId: params.projectID,
        architectureResourceId: params.resourceID,
        datasetResourceId: body.dataID,
        codeResourceId: body.codeID || null,
        problemType: body.problemType,
        modelName: body.modelName,
        hyperparameters: toHyperparameters(body),
        schedule: repeat
          ? { kind: 'CRON', cronExpression: body.cronExpression, startAt }
          : { kind: 'ONE_TIME', startAt },
        source: 'mlw',
      });
      return json(presentTask({ ...task, project }, execution ? [execution] : [], new Map()));
    },
  }),
  route({
    method: 'GET',
    path: '/resources/deploy',
    operationId: 'listDeployedModels',
    summary:
      'Deployed models of every visible project: `{data: [{id, name, type}]}` (`id` = `name` = the mleID predict takes; `?type=ONNX` is the NN kind)',
    tags: ['Deployment'],
    query: modelTypeQuery,
    onInvalid: () => new MlwError(404, 'Invalid Model Type', 'invalid model'),
    response: mlwDeployedListSchema,
    security: SECURITY,
    async handler({ principal, query, deps }) {
      if (query.type !== undefined && query.type !== NN_MODEL_TYPE) return json({ data: [] });
      const deployed = await listDeployed(deps.db, principal);
      return json({ data: deployed.map((d) => ({ id: d.name, name: d.name, type: NN_MODEL_TYPE })) });
    },
  }),
  deploymentRoute(
    'POST',
    'deployModel',
    'Deploy a trained model under its model name (the mleID); answers the Resource with `deployed: true, mleID` (409 when another model has that name)',
  ),
  deploymentRoute(
    'DELETE',
    'undeployModel',
    'End a model’s deployment (admin); answers the Resource with `deployed: false`',
  ),
  route({
    method: 'GET',
    path: '/projects/{projectID}/resources/{resourceID}/predict/{modelID}',
    operationId: 'predict',
    summary:
      'Score a CSV data resource with a deployed model (modelID = its mleID): the predictions are stored as a new data resource `predicted_<data>_<epoch>.csv` (`probability_<class>` columns and `predicted_target`; regression: the value); answers the project with its files',
    tags: ['Deployment'],
    params: resourceParams.extend({ modelID: z.string().min(1) }),
    query: modelTypeQuery,
    onInvalid: () => invalidModelOrFile(),
    response: mlwProjectWithResourcesSchema,
    security: SECURITY,
    async handler({ principal, params, query, deps }) {
      if (query.type !== undefined && query.type !== NN_MODEL_TYPE) throw invalidModelOrFile();
      const data = await mlwResource(deps, principal, params);
      if (data.kind !== 'DATASET' || extensionOf(data.name) !== '.csv') throw invalidModelOrFile();
      const model = await findDeployed(deps.db, principal, params.modelID, data.projectId);
      await scoreDataset(deps, principal, data.projectId, model.modelResourceId, data.id, {
        resultName: `predicted_${data.name.replace(/\.csv$/i, '')}_${Math.floor(Date.now() / 1000)}.csv`,
        predictionColumn: 'predicted_target',
      });
      return json(await projectWithResources(deps, principal, params.projectID));
    },
  }),
  route({
    method: 'GET',
    path: '/tasks',
    operationId: 'listTasks',
    summary: `List tasks, newest first, a page at a time (Cumulocity's pageSize/currentPage), each with its ${LIST_RUNS_PER_TASK} newest runs`,
    tags: ['Tasks'],
    query: taskPageQuery,
    response: mlwTaskListSchema,
    security: SECURITY,
    async handler({ principal, query, deps }) {
      const skip = (query.currentPage - 1) * query.pageSize;
      return json({ data: await taskPage(deps, principal, query.pageSize, skip) });
    },
  }),
  route({
    method: 'GET',
    path: '/tasks/{taskID}',
    operationId: 'getTask',
    summary: `Get a task with its ${TASK_RUNS} newest individual tasks (each run also at /tasks/{taskID}/task/{subTaskID})`,
    tags: ['Tasks'],
    params: taskParams,
    response: mlwTaskSchema,
    security: SECURITY,
    async handler({ principal, params, deps }) {
      const { task, history } = await getTaskWithHistory(deps.db, principal, params.taskID, {
        runs: TASK_RUNS,
      });
      return json(presentTask(task, task.executions, history, await loadRunExtras(deps.db, task.executions)));
    },
  }),
  route({
    method: 'DELETE',
    path: '/tasks/{taskID}',
    operationId: 'deleteTask',
    summary:
      'Delete a task and its schedule (admin); answers the remaining tasks (first page) as a map by id, their runs too',
    tags: ['Tasks'],
    params: taskParams,
    response: mlwTaskMapSchema,
    security: SECURITY,
    async handler({ principal, params, deps }) {
      await deleteTask(deps.db, principal, params.taskID);
      const data: Record<string, unknown> = {};
      for (const presented of await taskPage(deps, principal, TASK_PAGE)) {
        data[presented.id] = {
          ...presented,
          individualTasks: Object.fromEntries(presented.individualTasks.map((s) => [s.id, s])),
        };
      }
      return json({ data });
    },
  }),
  route({
    method: 'GET',
    path: '/tasks/{taskID}/task/{subTaskID}',
    operationId: 'getIndividualTask',
    summary: 'Get one run of a task (status, log, history)',
    tags: ['Tasks'],
    params: subTaskParams,
    response: mlwIndividualTaskSchema,
    security: SECURITY,
    async handler({ principal, params, deps }) {
      const { task, execution, history } = await getExecutionWithHistory(
        deps.db,
        principal,
        params.taskID,
        params.subTaskID,
      );
      return json(presentIndividualTask(task, execution, history, await loadRunExtras(deps.db, [execution])));
    },
  }),
  route({
    method: 'PUT',
    path: '/tasks/{taskID}/task/{subTaskID}',
    operationId: 'stopIndividualTask',
    summary:
      'Stop a running training early (the model trained so far is kept; a queued run is cancelled): `{message: "Triggered early stopping"}`',
    tags: ['Tasks'],
    params: subTaskParams,
    response: mlwEarlyStopSchema,
    security: SECURITY,
    async handler({ principal, params, deps }) {
      await requestStop(deps.db, principal, params.subTaskID, 'STOP', { taskId: params.taskID });
      return json({ message: 'Triggered early stopping' });
    },
  }),
  route({
    method: 'DELETE',
    path: '/tasks/{taskID}/task/{subTaskID}',
    operationId: 'deleteIndividualTask',
    summary: 'Delete one finished or queued run of a task (admin); answers the task list',
    tags: ['Tasks'],
    params: subTaskParams,
    response: mlwTaskListSchema,
    security: SECURITY,
    async handler({ principal, params, deps }) {
      const { execution } = await getExecutionWithHistory(
        deps.db,
        principal,
        params.taskID,
        params.subTaskID,
      );
      await deleteExecution(deps.db, principal, execution.id, { taskId: params.taskID });
      return json({ data: await taskPage(deps, principal, TASK_PAGE) });
    },
  }),
];

export const mlwStyle: RestStyle = {
  basePath: MLW_BASE,
  routes: mlwRoutes,
  errorResponse: mlwErrorResponse,
  authenticate: authenticateCumulocity,
  notFound: () =>
    json({ message: 'resource not found', errorCode: 404, exception: 'resource not found' }, 404),
};
