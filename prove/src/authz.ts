// Authorization matrix: 2 teams x (owner, admin, editor, viewer as signed-in users through the production
// sign-in paths, a team-wide API key per role, in team A a project-scoped key per role for its project and
// one per role for a second project, no credentials) x every operation of every surface (the three REST
// styles' route tables and every tRPC procedure; an operation missing from the table below fails the suite,
// so new routes must be classified). Prints allowed/denied counts against the expected matrix (must match
// 100%; an allowed cell must answer 2xx or a status the operation declares). Every answer to a caller that
// must not see team A's project (or team A) is searched for each identifying value of it: project, resource
// and task names, member emails, API key prefixes. Also scans the database for secrets at rest and greps the
// logs of real processes for every secret used.
//
//   npm run prove:authz
import { randomBytes } from 'node:crypto';
import type { DatabaseProvider, TeamRole } from '@trainhub/db';
import { createRestHandler, edgeImpulseStyle, mlwStyle, trainingModuleStyle } from '@trainhub/api/rest';
import { appRouter, handleTrpc, type SessionUser } from '@trainhub/api/trpc';
import { createRequire } from 'node:module';
import { generateToken } from '../../packages/api/src/auth/secrets';
import { API_KEY_PREFIX, ROLE_RANK } from '../../packages/api/src/services/accounts';
import { ROLES, basic, makeWorld, multipart, PASSWORD, type World } from '../../packages/api/test/helpers';
import { blobsCsv, storeModel, trainSmall } from '../../packages/api/test/predictions-fixtures';
import { printTable } from './table';

// next-auth's own JWT encoding (the web app's dependency), as its sign-in sets the session cookie, and the web
// app's own reader of that cookie. Loaded by path, not imported: their types bring Next's global declarations
// (a required NODE_ENV in every ProcessEnv) into this package's typecheck.
const nextAuthJwt = createRequire(new URL('../../apps/web/package.json', import.meta.url))(
  'next-auth/jwt',
) as { encode(params: { token: Record<string, unknown>; secret: string }): Promise<string> };
const sessionTokenModule = new URL('../../apps/web/src/server/session-cookie.ts', import.meta.url).href;
const { sessionUserFromRequest } = (await import(sessionTokenModule)) as {
  sessionUserFromRequest(request: Request, secret: string): Promise<SessionUser | null>;
};
const NEXTAUTH_SECRET = randomBytes(32).toString('hex');

export type Surface = 'mlw' | 'edge-impulse' | 'training-module' | 'trpc';

/**
 * - project: acts on team A's project: allowed to A's members at or above `min` (403 below), 404 for team B
 *   and for a key scoped to another project.
 * - team: a team-level operation on team A (members, keys, invites, team settings): like `project`, but a
 *   project-scoped key of team A is refused with 403 (it acts only inside its project).
 * - own: acts in the caller's own team (lists, creating): allowed at or above `min` in any team; lists must
 *   not show what the caller may not see.
 * - create: creates a project in the caller's team: like `own`, but a project-scoped key is refused (403).
 * - public: no credentials needed (health, login, cron preview) or authorized by a capability in the path
 *   (the session style's session key).
 */
type Scope = 'project' | 'team' | 'own' | 'create' | 'public';

interface Op {
  surface: Surface;
  id: string;
  scope: Scope;
  min: TeamRole;
  /** Only people (signed-in users) may: API keys are refused (403) whatever their role. */
  people?: boolean;
  /** Acts on a fresh project of team A (destructive calls): a project-scoped key does not reach it (404). */
  otherProject?: boolean;
  /** Statuses besides 2xx that an allowed call may answer (the session style's state machine). */
  alsoOk?: number[];
  /** Builds the request for a caller (fresh scratch rows for destructive calls). */
  build: (auth: Record<string, string>) => Promise<Request>;
}

interface Caller {
  name: string;
  team: 'A' | 'B' | null;
  role: TeamRole | null;
  /** scoped: a key of team A limited to its project; elsewhere: a key of team A limited to a second project. */
  kind: 'user' | 'key' | 'scoped' | 'elsewhere' | 'none';
  headers: Record<Surface, Record<string, string> | null>;
}

export interface AuthzReport {
  database: string;
  operations: number;
  callers: number;
  calls: number;
  expectedAllowed: number;
  expectedDenied: number;
  allowed: number;
  denied: number;
  matching: number;
  mismatches: string[];
  leaks: string[];
  unclassified: string[];
  secretsAtRest: string[];
  seconds: number;
}

const STYLE_OF: Record<Exclude<Surface, 'trpc'>, typeof mlwStyle> = {
  mlw: mlwStyle,
  'edge-impulse': edgeImpulseStyle,
  'training-module': trainingModuleStyle,
};

async function setup(provider: DatabaseProvider) {
  const w = await makeWorld(provider);
  const db = w.t.db;
  const pid = w.a.projectId;
  const handlers = Object.fromEntries(
    Object.entries(STYLE_OF).map(([s, style]) => [s, createRestHandler(style, () => w.deps)]),
  ) as Record<Exclude<Surface, 'trpc'>, (r: Request) => Promise<Response>>;
  const call = (surface: Surface, request: Request) =>
    surface === 'trpc'
      ? handleTrpc(request, w.deps, '/api/trpc', {
          sessionUser: (r) => sessionUserFromRequest(r, NEXTAUTH_SECRET),
        })
      : handlers[surface](request);
  const put = async (name: string, content: string, kind: 'DATASET' | 'ARCHITECTURE' | 'CODE' | 'OTHER') => {
    const key = `authz/${randomBytes(6).toString('hex')}/${name}`;
    const stored = await w.deps.store.put(key, Buffer.from(content));
    return db.resource.create({
      data: {
        projectId: pid,
        kind,
        name,
        size: stored.size,
        contentHash: stored.contentHash,
        storageKey: key,
      },
    });
  };
  // Names only team A's project has: the leak check looks for each of them in answers to other callers.
  const tag = randomBytes(4).toString('hex');
  const data = await put(`d-${tag}.csv`, 'a,b,label\n1,2,x\n3,4,y\n5,6,x\n', 'DATASET');
  const arch = await put(`n-${tag}.architecture`, '{"layers":[{"type":"dense","units":3}]}', 'ARCHITECTURE');
  const code = await put(`c-${tag}.preprocessing`, '{"scaling":"standardize"}', 'CODE');
  const block = await db.learnBlock.create({
    data: { projectId: pid, name: 'nn', title: 'NN', settings: {} },
  });
  const newTask = (extra: Record<string, unknown> = {}) =>
    db.task.create({
      data: {
        projectId: pid,
        name: `authz-task-${tag}`,
        source: 'mlw',
        definition: { version: 1 },
        hyperparameters: { epochs: 1, batchSize: 1 },
        ...extra,
      },
    });
  const task = await newTask();
  const execution = await db.execution.create({
    data: { taskId: task.id, projectId: pid, status: 'COMPLETED', finishedAt: new Date() },
  });
  const cron = await newTask({ scheduleKind: 'CRON', cronExpression: '0 * * * *', scheduleEnabled: true });
  // A trained model, a dataset it takes and a finished scoring job: for the models.* procedures.
  const modelName = `model-${tag}`;
  const model = await storeModel(w, pid, await trainSmall('classification', 1), modelName);
  const modelData = await put(`m-${tag}.csv`, blobsCsv(30), 'DATASET');
  const modelJob = await db.modelJob.create({
    data: {
      projectId: pid,
      kind: 'SCORE',
      status: 'COMPLETED',
      modelResourceId: model.id,
      datasetResourceId: modelData.id,
    },
  });
  // Each team has an active training-module session; A's key is the capability for the keyed routes.
  const sessionKeys: Record<'A' | 'B', string> = { A: '', B: '' };
  for (const [team, fixture] of [
    ['A', w.a],
    ['B', w.b],
  ] as const) {
    const response = await handlers['training-module'](
      new Request('http://localhost/training-module/start_session', {
        headers: { 'x-api-key': fixture.keys.EDITOR },
      }),
    );
    sessionKeys[team] = ((await response.json()) as { key: string }).key;
  }
  // Signed-in users: MLW Basic, an Edge Impulse api-login JWT, and for tRPC the next-auth JWT cookie that the
  // web app's sign-in sets (read back by the web app's own `sessionUserFromRequest`).
  const callers: Caller[] = [];
  for (const [team, fixture] of [
    ['A', w.a],
    ['B', w.b],
  ] as const) {
    for (const role of ROLES) {
      const user = fixture.users[role];
      const login = await handlers['edge-impulse'](
        new Request('http://localhost/v1/api-login', {
          method: 'POST',
          body: JSON.stringify({ username: user.email, password: PASSWORD }),
        }),
      );
      const jwt = ((await login.json()) as { token: string }).token;
      const sessionToken = await nextAuthJwt.encode({
        token: { sub: user.id, email: user.email, signedInAt: Math.floor(Date.now() / 1000) },
        secret: NEXTAUTH_SECRET,
      });
      callers.push({
        name: `${team} ${role.toLowerCase()} user`,
        team,
        role,
        kind: 'user',
        headers: {
          mlw: { authorization: basic(user.email) },
          'edge-impulse': { 'x-jwt-token': jwt },
          'training-module': null, // the session style takes API keys only
          trpc: { cookie: `next-auth.session-token=${sessionToken}` },
        },
      });
      const key = fixture.keys[role];
      callers.push({
        name: `${team} ${role.toLowerCase()} key`,
        team,
        role,
        kind: 'key',
        headers: {
          mlw: { authorization: `Bearer ${key}` },
          'edge-impulse': { 'x-api-key': key },
          'training-module': { 'x-api-key': key },
          trpc: { 'x-api-key': key },
        },
      });
    }
  }
  // Team A's project-scoped keys, one per role, for its project and for a second project of team A.
  const elsewhere = await db.project.create({ data: { teamId: w.a.id, name: `second-${tag}` } });
  for (const [kind, projectId] of [
    ['scoped', pid],
    ['elsewhere', elsewhere.id],
  ] as const) {
    for (const role of ROLES) {
      const made = generateToken(API_KEY_PREFIX);
      await db.apiKey.create({
        data: {
          teamId: w.a.id,
          projectId,
          name: `${kind}-${role}`,
          prefix: made.displayPrefix,
          keyHash: made.hash,
          role,
        },
      });
      callers.push({
        name: `A ${role.toLowerCase()} key of ${kind === 'scoped' ? 'this' : 'another'} project`,
        team: 'A',
        role,
        kind,
        headers: {
          mlw: { authorization: `Bearer ${made.token}` },
          'edge-impulse': { 'x-api-key': made.token },
          'training-module': { 'x-api-key': made.token },
          trpc: { 'x-api-key': made.token },
        },
      });
    }
  }
  // What identifies team A (for team B) and team A's project (for a key of another project).
  const membersOfA = await db.membership.findMany({
    where: { teamId: w.a.id },
    include: { user: { select: { email: true } } },
  });
  const keysOfA = await db.apiKey.findMany({ where: { teamId: w.a.id }, select: { prefix: true } });
  const projectA = await db.project.findUniqueOrThrow({ where: { id: pid } });
  const ofProject = [projectA.name, data.name, arch.name, code.name, task.name, modelName, modelData.name];
  const ofTeam = [...membersOfA.map((m) => m.user.email), ...keysOfA.map((k) => k.prefix)];
  const identifying = {
    teamA: [...ofProject, elsewhere.name, ...ofTeam],
    projectA: [...ofProject, ...ofTeam],
  };
  callers.push({
    name: 'no credentials',
    team: null,
    role: null,
    kind: 'none',
    headers: { mlw: null, 'edge-impulse': null, 'training-module': null, trpc: null },
  });
  return {
    w,
    db,
    pid,
    call,
    put,
    data,
    arch,
    code,
    block,
    task,
    execution,
    cron,
    model,
    modelName,
    modelData,
    modelJob,
    newTask,
    sessionKeys,
    callers,
    identifying,
  };
}

type Setup = Awaited<ReturnType<typeof setup>>;

function operations(s: Setup): Op[] {
  const { db, pid, w } = s;
  const P = `${pid}_Project`;
  const R = (id: number) => `${id}_Resource`;
  const url = (path: string) => `http://localhost${path}`;
  const req = (method: string, path: string, auth: Record<string, string>, body?: string | FormData) =>
    new Request(url(path), { method, headers: auth, ...(body !== undefined ? { body } : {}) });
  const scratchResource = () => s.put('scratch.csv', 'a\n1\n', 'DATASET').then((r) => r.id);
  const scratchArchitecture = () =>
    s.put('scratch.architecture', '{"layers":[]}', 'ARCHITECTURE').then((r) => r.id);
  const scratchExecution = async (status: 'RUNNING' | 'COMPLETED' | 'QUEUED' = 'COMPLETED') =>
    db.execution.create({
      data: {
        taskId: s.task.id,
        projectId: pid,
        status,
        ...(status === 'COMPLETED' ? { finishedAt: new Date() } : {}),
      },
    });
  const scratchSample = () =>
    db.sample.create({
      data: {
        projectId: pid,
        category: 'testing',
        label: 'idle',
        filename: 'idle.authz',
        intervalMs: 10,
        sensors: [{ name: 'accX', units: 'm/s2' }],
        values: [[1], [2], [3]],
        valuesCount: 3,
        sha256Hash: randomBytes(8).toString('hex'),
        deviceType: 'TEST',
      },
    });
  const scratchMember = async () => {
    const user = await db.user.create({ data: { email: `m${randomBytes(5).toString('hex')}@alpha.test` } });
    await db.membership.create({ data: { teamId: w.a.id, userId: user.id, role: 'VIEWER' } });
    return user.id;
  };
  const trainBody = JSON.stringify({
    batchSize: 2,
    epoch: 1,
    learningRate: 0.01,
    loss: 'categorical_crossentropy',
    optimizer: 'Adam',
    modelName: 'm',
    dataID: R(s.data.id),
    codeID: R(s.code.id),
    problemType: 'classification',
  });
  const rest = (
    surface: Exclude<Surface, 'trpc'>,
    id: string,
    scope: Scope,
    min: TeamRole,
    build: Op['build'],
  ): Op => ({ surface, id, scope, min, build });
  const mlw = (
    id: string,
    scope: Scope,
    min: TeamRole,
    method: string,
    path: (() => Promise<string>) | string,
    body?: () => string | FormData,
  ) =>
    rest('mlw', id, scope, min, async (auth) =>
      req(method, `/service/mlw${typeof path === 'string' ? path : await path()}`, auth, body?.()),
    );
  const ei = (id: string, scope: Scope, min: TeamRole, method: string, path: string, body?: string) =>
    rest('edge-impulse', id, scope, min, async (auth) => req(method, `/v1${path}`, auth, body));
  // The session style's keyed calls answer by the session's state (a second start is a 409, a download
  // before training a 409, ...): `states` lists the answers that mean "authorized, refused by the state".
  const tm = (
    id: string,
    scope: Scope,
    min: TeamRole,
    method: string,
    path: string,
    body?: () => string | FormData,
    states: number[] = [],
  ): Op => ({
    ...rest('training-module', id, scope, min, async (auth) => {
      const payload = body?.();
      // A JSON body goes as application/json: FastAPI reads no other content type as JSON (422).
      const headers = typeof payload === 'string' ? { ...auth, 'content-type': 'application/json' } : auth;
      return req(method, `/training-module${path}`, headers, payload);
    }),
    alsoOk: states,
  });
  const key = s.sessionKeys.A;
  const ops: Op[] = [
    mlw('listProjects', 'own', 'VIEWER', 'GET', '/projects'),
    mlw('createProject', 'create', 'EDITOR', 'POST', '/projects', () =>
      JSON.stringify({ name: `made by authz ${randomBytes(4).toString('hex')}` }),
    ),
    mlw('getProject', 'project', 'VIEWER', 'GET', `/projects/${P}`),
    mlw('updateProject', 'project', 'EDITOR', 'PUT', `/projects/${P}`, () => '{"description":"x"}'),
    {
      ...mlw('deleteProject', 'project', 'ADMIN', 'DELETE', async () => {
        const project = await db.project.create({ data: { teamId: w.a.id, name: 'scratch' } });
        return `/projects/${project.id}_Project`;
      }),
      otherProject: true,
    },
    mlw('listResources', 'project', 'VIEWER', 'GET', `/projects/${P}/resources`),
    mlw('uploadResource', 'project', 'EDITOR', 'POST', `/projects/${P}/resources`, () =>
      multipart({ file: { name: 'u.csv', content: 'a,b\n1,2\n' } }),
    ),
    mlw('getResource', 'project', 'VIEWER', 'GET', `/projects/${P}/resources/${R(s.data.id)}`),
    mlw('downloadResource', 'project', 'VIEWER', 'GET', `/projects/${P}/resources/${R(s.data.id)}/download`),
    mlw(
      'deleteResource',
      'project',
      'ADMIN',
      'DELETE',
      async () => `/projects/${P}/resources/${R(await scratchResource())}`,
    ),
    mlw('createNewResource', 'project', 'EDITOR', 'POST', `/projects/${P}/resources/createnew`, () =>
      JSON.stringify({ type: 'py', name: 'authz' }),
    ),
    mlw('previewResource', 'project', 'VIEWER', 'GET', `/projects/${P}/resources/${R(s.data.id)}/preview`),
    mlw(
      'saveResource',
      'project',
      'EDITOR',
      'PUT',
      async () => `/projects/${P}/resources/${R(await scratchArchitecture())}/save`,
      () => JSON.stringify({ content: '{"layers":[]}' }),
    ),
    mlw(
      'trainNN',
      'project',
      'EDITOR',
      'POST',
      `/projects/${P}/resources/${R(s.arch.id)}/trainNN`,
      () => trainBody,
    ),
    mlw('listDeployedModels', 'own', 'VIEWER', 'GET', '/resources/deploy'),
    mlw('deployModel', 'project', 'EDITOR', 'POST', `/projects/${P}/resources/${R(s.model.id)}/deploy`),
    mlw('undeployModel', 'project', 'ADMIN', 'DELETE', async () => {
      await db.modelDeployment.upsert({
        where: { projectId_name: { projectId: pid, name: s.modelName } },
        create: { projectId: pid, name: s.modelName, modelResourceId: s.model.id },
        update: { modelResourceId: s.model.id },
      });
      return `/projects/${P}/resources/${R(s.model.id)}/deploy`;
    }),
    mlw('predict', 'project', 'EDITOR', 'GET', async () => {
      await db.modelDeployment.upsert({
        where: { projectId_name: { projectId: pid, name: s.modelName } },
        create: { projectId: pid, name: s.modelName, modelResourceId: s.model.id },
        update: { modelResourceId: s.model.id },
      });
      return `/projects/${P}/resources/${R(s.modelData.id)}/predict/${s.modelName}`;
    }),
    mlw('listTasks', 'own', 'VIEWER', 'GET', '/tasks'),
    mlw('getTask', 'project', 'VIEWER', 'GET', `/tasks/${s.task.id}`),
    mlw('deleteTask', 'project', 'ADMIN', 'DELETE', async () => `/tasks/${(await s.newTask()).id}`),
    mlw('getIndividualTask', 'project', 'VIEWER', 'GET', `/tasks/${s.task.id}/task/${s.execution.id}`),
    mlw(
      'stopIndividualTask',
      'project',
      'EDITOR',
      'PUT',
      async () => `/tasks/${s.task.id}/task/${(await scratchExecution('RUNNING')).id}`,
    ),
    mlw(
      'deleteIndividualTask',
      'project',
      'ADMIN',
      'DELETE',
      async () => `/tasks/${s.task.id}/task/${(await scratchExecution()).id}`,
    ),

    ei(
      'login',
      'public',
      'VIEWER',
      'POST',
      '/api-login',
      JSON.stringify({ username: w.a.users.VIEWER.email, password: PASSWORD }),
    ),
    ei('listProjects', 'own', 'VIEWER', 'GET', '/api/projects'),
    rest('edge-impulse', 'createProject', 'create', 'EDITOR', async (auth) =>
      req(
        'POST',
        '/v1/api/projects/create',
        auth,
        JSON.stringify({ projectName: `made by authz ${randomBytes(4).toString('hex')}` }),
      ),
    ),
    ei('getImpulse', 'project', 'VIEWER', 'GET', `/api/${pid}/impulse`),
    ei(
      'createImpulse',
      'project',
      'EDITOR',
      'POST',
      `/api/${pid}/impulse`,
      JSON.stringify({ learnBlocks: [{ id: s.block.id, type: 'keras', name: 'nn', title: 'NN' }] }),
    ),
    ei('getKeras', 'project', 'VIEWER', 'GET', `/api/${pid}/training/keras/${s.block.id}`),
    ei(
      'setKeras',
      'project',
      'EDITOR',
      'POST',
      `/api/${pid}/training/keras/${s.block.id}`,
      '{"trainingCycles":3}',
    ),
    ei('trainKerasJob', 'project', 'EDITOR', 'POST', `/api/${pid}/jobs/train/keras/${s.block.id}`, '{}'),
    ei('getProjectInfo', 'project', 'VIEWER', 'GET', `/api/${pid}`),
    ei('listActiveJobs', 'project', 'VIEWER', 'GET', `/api/${pid}/jobs`),
    ei('listAllJobs', 'project', 'VIEWER', 'GET', `/api/${pid}/jobs/all?finished=both`),
    ei('listFinishedJobs', 'project', 'VIEWER', 'GET', `/api/${pid}/jobs/history`),
    ei('downloadJobsLogs', 'project', 'VIEWER', 'GET', `/api/${pid}/jobs/${s.execution.id}/stdout/download`),
    ei('getNewBlockId', 'project', 'VIEWER', 'POST', `/api/${pid}/impulse/get-new-block-id`),
    // A project's keys: its admins, a key scoped to it included (Edge Impulse's project API keys).
    ei('listProjectApiKeys', 'project', 'ADMIN', 'GET', `/api/${pid}/apikeys`),
    ei(
      'addProjectApiKey',
      'project',
      'ADMIN',
      'POST',
      `/api/${pid}/apikeys`,
      '{"name":"authz","isDevelopmentKey":false,"role":"readonly"}',
    ),
    // The caller's key: a project-scoped key answers; a user or a team-wide key is told why not (400).
    { ...ei('getCurrentApiKeyInfo', 'own', 'VIEWER', 'GET', '/api/projects/api-key-info'), alsoOk: [400] },
    ei('getJobStatus', 'project', 'VIEWER', 'GET', `/api/${pid}/jobs/${s.execution.id}/status`),
    ei('getJobsLogs', 'project', 'VIEWER', 'GET', `/api/${pid}/jobs/${s.execution.id}/stdout`),
    rest('edge-impulse', 'cancelJob', 'project', 'EDITOR', async (auth) =>
      req('POST', `/v1/api/${pid}/jobs/${(await scratchExecution('QUEUED')).id}/cancel`, auth),
    ),
    {
      ...ei(
        'getKerasMetadata',
        'project',
        'VIEWER',
        'GET',
        `/api/${pid}/training/keras/${s.block.id}/metadata`,
      ),
      alsoOk: [404], // "this learn block has no trained model yet"
    },
    ei('getSocketToken', 'project', 'VIEWER', 'GET', `/api/${pid}/socket-token`),
    // Samples (raw-data) and the data path over them (edge-impulse/data.ts). Without a trained learn block
    // (none here) classify / model testing answer 400 and the deployment 404 to an authorized caller.
    ei('listSamples', 'project', 'VIEWER', 'GET', `/api/${pid}/raw-data?category=training`),
    ei('countSamples', 'project', 'VIEWER', 'GET', `/api/${pid}/raw-data/count?category=testing`),
    rest('edge-impulse', 'getSample', 'project', 'VIEWER', async (auth) =>
      req('GET', `/v1/api/${pid}/raw-data/${(await scratchSample()).id}`, auth),
    ),
    rest('edge-impulse', 'deleteSample', 'project', 'EDITOR', async (auth) =>
      req('DELETE', `/v1/api/${pid}/raw-data/${(await scratchSample()).id}`, auth),
    ),
    ei('listDevkeys', 'project', 'ADMIN', 'GET', `/api/${pid}/devkeys`),
    {
      ...rest('edge-impulse', 'classifySample', 'project', 'VIEWER', async (auth) =>
        req('GET', `/v1/api/${pid}/classify/${(await scratchSample()).id}`, auth),
      ),
      alsoOk: [400],
    },
    { ...ei('startEvaluateJob', 'project', 'EDITOR', 'POST', `/api/${pid}/jobs/evaluate`), alsoOk: [400] },
    { ...ei('startClassifyJob', 'project', 'EDITOR', 'POST', `/api/${pid}/jobs/classify`), alsoOk: [400] },
    {
      ...ei('getClassifyJobResult', 'project', 'VIEWER', 'GET', `/api/${pid}/classify/all/result`),
      alsoOk: [400],
    },
    {
      ...ei('getEvaluateJobResult', 'project', 'VIEWER', 'GET', `/api/${pid}/deployment/evaluate`),
      alsoOk: [404],
    },
    ei('getDeployment', 'project', 'VIEWER', 'GET', `/api/${pid}/deployment?type=tfjs`),
    {
      ...ei('downloadBuild', 'project', 'VIEWER', 'GET', `/api/${pid}/deployment/download?type=tfjs`),
      alsoOk: [404],
    },

    tm('healthcheck', 'public', 'VIEWER', 'GET', '/healthcheck'),
    tm('openapi', 'public', 'VIEWER', 'GET', '/openapi.json'),
    tm('swagger_ui', 'public', 'VIEWER', 'GET', '/docs'),
    tm('redoc', 'public', 'VIEWER', 'GET', '/redoc'),
    // force_restart=0: an existing session is returned, so A's capability key stays valid.
    tm('start_session', 'own', 'EDITOR', 'GET', '/start_session?force_restart=0', undefined, [409]),
    tm('update_training_config', 'public', 'VIEWER', 'POST', `/parameters/${key}`, () => '{"epochs":2}'),
    tm('return_training_config', 'own', 'VIEWER', 'GET', '/parameters'),
    tm(
      'upload_dataset',
      'public',
      'VIEWER',
      'POST',
      `/upload_dataset/${key}`,
      () => multipart({ train_file: { name: 't.csv', content: 'a,label\n1,x\n2,y\n' } }),
      [400, 409, 422], // no test_file
    ),
    tm('preprocess', 'public', 'VIEWER', 'POST', `/preprocess/${key}`, undefined, [409]),
    tm('get_preprocess_status', 'own', 'VIEWER', 'GET', '/preprocess_status'),
    tm('start_training', 'public', 'VIEWER', 'POST', `/training/start/${key}`, undefined, [409]),
    tm('stop_training', 'public', 'VIEWER', 'POST', `/training/stop/${key}`, undefined, [409]),
    tm('get_status', 'own', 'VIEWER', 'GET', '/status'),
    tm('monitor', 'public', 'VIEWER', 'GET', `/monitor/${key}`),
    tm('model_ready', 'public', 'VIEWER', 'GET', `/model_ready/${key}`),
    tm('download_model', 'public', 'VIEWER', 'GET', `/download_model/${key}`, undefined, [409]),
    tm('download_results', 'public', 'VIEWER', 'GET', `/download_results/${key}`, undefined, [409]),
    tm(
      'import_model',
      'public',
      'VIEWER',
      'POST',
      `/import_model/${key}?model_type=x&model_name=y`,
      undefined,
      [404, 409, 422], // no such pretrained model here
    ),
    tm('import_status', 'own', 'VIEWER', 'GET', '/import_status'),
    tm('get_imported_model', 'public', 'VIEWER', 'GET', `/get_imported_model/${key}`, undefined, [404, 409]),
  ];

  const trpc = (
    id: string,
    scope: Scope,
    min: TeamRole,
    input: () => Promise<unknown> | unknown,
    options: { people?: boolean } = {},
  ): Op => ({
    surface: 'trpc',
    id,
    scope,
    min,
    ...options,
    async build(auth) {
      const value = await input();
      const type = (
        appRouter as unknown as { _def: { procedures: Record<string, { _def: { type: string } }> } }
      )._def.procedures[id]?._def.type;
      return type === 'query'
        ? req(
            'GET',
            `/api/trpc/${id}${value === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify({ json: value }))}`}`,
            auth,
          )
        : new Request(url(`/api/trpc/${id}`), {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: JSON.stringify({ json: value ?? {} }), // superjson's envelope
          });
    },
  });
  const team = { teamId: w.a.id };
  // A fresh team whose members are team A's, with the same roles (plus a second owner, so that A's owner
  // may leave it): team-wide calls that would break team A (leave, delete) act on one of these.
  const mirrorOfTeamA = async () => {
    const slug = `mirror-${randomBytes(5).toString('hex')}`;
    const mirror = await db.team.create({ data: { name: slug, slug } });
    const members = await db.membership.findMany({ where: { teamId: w.a.id } });
    await db.membership.createMany({
      data: members.map((m) => ({ teamId: mirror.id, userId: m.userId, role: m.role })),
    });
    const owner = await db.user.create({ data: { email: `${slug}@alpha.test` } });
    await db.membership.create({ data: { teamId: mirror.id, userId: owner.id, role: 'OWNER' } });
    return mirror;
  };
  ops.push(
    trpc('projects.list', 'own', 'VIEWER', () => undefined),
    trpc('projects.get', 'project', 'VIEWER', () => ({ projectId: pid })),
    trpc('projects.create', 'create', 'EDITOR', () => ({
      name: `made by authz ${randomBytes(4).toString('hex')}`,
    })),
    trpc('projects.update', 'project', 'EDITOR', () => ({ projectId: pid, description: 'x' })),
    {
      ...trpc('projects.delete', 'project', 'ADMIN', async () => ({
        projectId: (await db.project.create({ data: { teamId: w.a.id, name: 'scratch' } })).id,
      })),
      otherProject: true,
    },
    trpc('resources.list', 'project', 'VIEWER', () => ({ projectId: pid })),
    trpc('resources.get', 'project', 'VIEWER', () => ({ projectId: pid, resourceId: s.data.id })),
    trpc('resources.head', 'project', 'VIEWER', () => ({ projectId: pid, resourceId: s.data.id })),
    trpc('resources.uploadText', 'project', 'EDITOR', () => ({
      projectId: pid,
      name: 'x.csv',
      content: 'a\n1',
    })),
    trpc('resources.download', 'project', 'VIEWER', () => ({ projectId: pid, resourceId: s.data.id })),
    trpc('resources.delete', 'project', 'ADMIN', async () => ({
      projectId: pid,
      resourceId: await scratchResource(),
    })),
    trpc('learnBlocks.list', 'project', 'VIEWER', () => ({ projectId: pid })),
    trpc('learnBlocks.get', 'project', 'VIEWER', () => ({ projectId: pid, learnId: s.block.id })),
    trpc('learnBlocks.set', 'project', 'EDITOR', () => ({
      projectId: pid,
      blocks: [{ id: s.block.id, type: 'keras', name: 'nn', title: 'NN' }],
    })),
    trpc('learnBlocks.updateSettings', 'project', 'EDITOR', () => ({
      projectId: pid,
      learnId: s.block.id,
      settings: { trainingCycles: 2 },
    })),
    trpc('learnBlocks.train', 'project', 'EDITOR', () => ({ projectId: pid, learnId: s.block.id })),
    trpc('tasks.list', 'project', 'VIEWER', () => ({ projectId: pid })),
    trpc('tasks.get', 'project', 'VIEWER', () => ({ taskId: s.task.id })),
    trpc('tasks.train', 'project', 'EDITOR', () => ({
      projectId: pid,
      architectureResourceId: s.arch.id,
      datasetResourceId: s.data.id,
      problemType: 'classification',
      modelName: 'm',
      hyperparameters: { epochs: 1, batchSize: 2 },
    })),
    trpc('tasks.rerun', 'project', 'EDITOR', () => ({ taskId: s.task.id })),
    trpc('tasks.delete', 'project', 'ADMIN', async () => ({ taskId: (await s.newTask()).id })),
    trpc('executions.get', 'project', 'VIEWER', () => ({ executionId: s.execution.id })),
    trpc('executions.listForTask', 'project', 'VIEWER', () => ({ taskId: s.task.id })),
    trpc('executions.events', 'project', 'VIEWER', () => ({ executionId: s.execution.id })),
    trpc('executions.stop', 'project', 'EDITOR', async () => ({
      executionId: (await scratchExecution('RUNNING')).id,
    })),
    trpc('executions.cancel', 'project', 'EDITOR', async () => ({
      executionId: (await scratchExecution('QUEUED')).id,
    })),
    trpc('executions.progress', 'project', 'VIEWER', () => ({
      projectId: pid,
      executionId: s.execution.id,
    })),
    trpc('executions.details', 'project', 'VIEWER', () => ({ projectId: pid, executionId: s.execution.id })),
    trpc('executions.compare', 'project', 'VIEWER', () => ({
      projectId: pid,
      executionIds: [s.execution.id],
    })),
    trpc('models.list', 'project', 'VIEWER', () => ({ projectId: pid })),
    trpc('models.versions', 'project', 'VIEWER', () => ({ projectId: pid, name: s.modelName })),
    trpc('models.get', 'project', 'VIEWER', () => ({ projectId: pid, resourceId: s.model.id })),
    trpc('models.predict', 'project', 'VIEWER', () => ({
      projectId: pid,
      resourceId: s.model.id,
      rows: [[1, 2, 3, 4]],
    })),
    trpc('models.score', 'project', 'EDITOR', () => ({
      projectId: pid,
      resourceId: s.model.id,
      datasetResourceId: s.modelData.id,
    })),
    trpc('models.evaluate', 'project', 'EDITOR', () => ({
      projectId: pid,
      resourceId: s.model.id,
      datasetResourceId: s.modelData.id,
    })),
    trpc('models.job', 'project', 'VIEWER', () => ({ projectId: pid, jobId: s.modelJob.id })),
    trpc('models.jobs', 'project', 'VIEWER', () => ({ projectId: pid })),
    trpc('models.deploy', 'project', 'EDITOR', () => ({ projectId: pid, resourceId: s.model.id })),
    trpc('models.undeploy', 'project', 'ADMIN', async () => {
      await db.modelDeployment.upsert({
        where: { projectId_name: { projectId: pid, name: s.modelName } },
        create: { projectId: pid, name: s.modelName, modelResourceId: s.model.id },
        update: { modelResourceId: s.model.id },
      });
      return { projectId: pid, resourceId: s.model.id };
    }),
    trpc('models.deployed', 'own', 'VIEWER', () => ({})),
    trpc('schedules.list', 'project', 'VIEWER', () => ({ projectId: pid })),
    trpc('schedules.setEnabled', 'project', 'EDITOR', () => ({ taskId: s.cron.id, enabled: true })),
    trpc('schedules.preview', 'public', 'VIEWER', () => ({ cronExpression: '0 * * * *' })),
    trpc('schedules.overview', 'project', 'VIEWER', () => ({ projectId: pid })),
    trpc('samples.summary', 'project', 'VIEWER', () => ({ projectId: pid })),
    trpc('samples.list', 'project', 'VIEWER', () => ({ projectId: pid, category: 'training' })),
    trpc('samples.get', 'project', 'VIEWER', async () => ({
      projectId: pid,
      sampleId: (await scratchSample()).id,
    })),
    trpc('schedules.nextRuns', 'own', 'VIEWER', () => ({ expression: '0 * * * *' })),
    trpc('sessions.active', 'own', 'VIEWER', () => undefined),
    trpc('teams.list', 'own', 'VIEWER', () => undefined),
    trpc('teams.me', 'own', 'VIEWER', () => undefined),
    trpc('members.list', 'team', 'VIEWER', () => team),
    trpc('members.setRole', 'team', 'ADMIN', async () => ({
      ...team,
      userId: await scratchMember(),
      role: 'VIEWER',
    })),
    trpc('members.remove', 'team', 'ADMIN', async () => ({ ...team, userId: await scratchMember() })),
    trpc('teams.create', 'own', 'VIEWER', () => ({ name: 'made by authz' }), { people: true }),
    trpc('teams.rename', 'team', 'ADMIN', () => ({ ...team, name: 'alpha' })),
    trpc('teams.leave', 'team', 'VIEWER', async () => ({ teamId: (await mirrorOfTeamA()).id }), {
      people: true,
    }),
    trpc(
      'teams.delete',
      'team',
      'OWNER',
      async () => {
        const mirror = await mirrorOfTeamA();
        return { teamId: mirror.id, confirmName: mirror.name };
      },
      { people: true },
    ),
    trpc('invites.list', 'team', 'ADMIN', () => team),
    trpc('invites.create', 'team', 'ADMIN', () => ({ ...team, role: 'VIEWER' })),
    trpc('invites.revoke', 'team', 'ADMIN', async () => {
      const invite = await db.teamInvite.create({
        data: {
          teamId: w.a.id,
          role: 'VIEWER',
          tokenHash: randomBytes(16).toString('hex'),
          expiresAt: new Date(Date.now() + 3600_000),
        },
      });
      return { ...team, inviteId: invite.id };
    }),
    trpc('apiKeys.list', 'team', 'ADMIN', () => team),
    trpc('apiKeys.create', 'team', 'ADMIN', () => ({ ...team, name: 'k', role: 'VIEWER' })),
    trpc('apiKeys.revoke', 'team', 'ADMIN', async () => {
      const k = await db.apiKey.create({
        data: {
          teamId: w.a.id,
          name: 'r',
          prefix: 'p',
          keyHash: randomBytes(16).toString('hex'),
          role: 'VIEWER',
        },
      });
      return { ...team, keyId: k.id };
    }),
  );
  return ops;
}

/** Every operation of every surface, by the names `operations` uses. */
function allOperationIds(): string[] {
  const rest = Object.entries(STYLE_OF).flatMap(([surface, style]) =>
    style.routes.map((route) => `${surface}:${route.operationId}`),
  );
  const procedures = Object.entries(
    (appRouter as unknown as { _def: { procedures: Record<string, { _def: { type: string } }> } })._def
      .procedures,
  )
    .filter(([, p]) => p._def.type !== 'subscription')
    .map(([path]) => `trpc:${path}`);
  return [...rest, ...procedures];
}

function expected(op: Op, caller: Caller): { allowed: boolean; status?: number } {
  if (op.scope === 'public') return { allowed: true };
  if (caller.kind === 'none' || caller.headers[op.surface] === null) return { allowed: false, status: 401 };
  const isKey = caller.kind !== 'user';
  const projectScoped = caller.kind === 'scoped' || caller.kind === 'elsewhere';
  if (op.people && isKey) return { allowed: false, status: 403 };
  const enough = ROLE_RANK[caller.role!] >= ROLE_RANK[op.min];
  if (op.scope === 'create' && projectScoped) return { allowed: false, status: 403 };
  if (op.scope === 'own' || op.scope === 'create')
    return enough ? { allowed: true } : { allowed: false, status: 403 };
  if (caller.team === 'B') return { allowed: false, status: 404 };
  if (op.scope === 'team' && projectScoped) return { allowed: false, status: 403 };
  if (caller.kind === 'elsewhere' || (op.otherProject && projectScoped))
    return { allowed: false, status: 404 };
  return enough ? { allowed: true } : { allowed: false, status: 403 };
}

export async function runAuthz(provider: DatabaseProvider): Promise<AuthzReport> {
  const started = Date.now();
  const s = await setup(provider);
  const ops = operations(s);
  const known = new Set(ops.map((o) => `${o.surface}:${o.id}`));
  const report: AuthzReport = {
    database: provider,
    operations: ops.length,
    callers: s.callers.length,
    calls: 0,
    expectedAllowed: 0,
    expectedDenied: 0,
    allowed: 0,
    denied: 0,
    matching: 0,
    mismatches: [],
    leaks: [],
    unclassified: allOperationIds().filter((id) => !known.has(id)),
    secretsAtRest: [],
    seconds: 0,
  };
  const quiet = console.error;
  console.error = () => undefined;
  try {
    for (const op of ops) {
      for (const caller of s.callers) {
        const headers = caller.headers[op.surface] ?? {};
        const response = await s.call(op.surface, await op.build(headers));
        const text = await response.text();
        report.calls++;
        const want = expected(op, caller);
        // Denied: 401, 403 or an unknown-id 404. Anything else passed authorization (a 400/409/422 is the
        // call's own validation, after the access check).
        // A 404 is a denial when it says the thing is unknown ("project not found"), not when it reports a
        // state ("no model has been imported").
        const denied =
          response.status === 401 ||
          response.status === 403 ||
          (response.status === 404 && /not found|unknown/i.test(text));
        if (want.allowed) report.expectedAllowed++;
        else report.expectedDenied++;
        if (denied) report.denied++;
        else report.allowed++;
        // Allowed means done: 2xx (or a state answer the operation declares), never a 5xx or a 400.
        const done =
          (response.status >= 200 && response.status < 300) || (op.alsoOk ?? []).includes(response.status);
        const ok = want.allowed
          ? done
          : denied && (want.status === undefined || want.status === response.status);
        if (ok) report.matching++;
        else
          report.mismatches.push(
            `${op.surface} ${op.id} as ${caller.name}: ${response.status} (expected ${want.allowed ? 'allowed' : want.status}) ${text.slice(0, 160)}`,
          );
        const hidden =
          caller.team === 'B'
            ? s.identifying.teamA
            : caller.kind === 'elsewhere'
              ? s.identifying.projectA
              : [];
        const shown = hidden.filter((value) => text.includes(value));
        if (shown.length)
          report.leaks.push(`${op.surface} ${op.id} as ${caller.name} shows ${shown.join(', ')}`);
      }
    }
    report.secretsAtRest = await secretsAtRest(s.w, [
      PASSWORD,
      ...secretsOf(s.w),
      ...Object.values(s.sessionKeys),
    ]);
  } finally {
    console.error = quiet;
    await s.w.drop();
  }
  report.seconds = (Date.now() - started) / 1000;
  return report;
}

function secretsOf(w: World): string[] {
  return [w.a, w.b].flatMap((t) => [...Object.values(t.keys), t.projectKey]);
}

/** Every row of every table, searched for any plain secret; passwords must be bcrypt hashes. */
export async function secretsAtRest(w: World, secrets: string[]): Promise<string[]> {
  const found: string[] = [];
  const db = w.t.db as unknown as Record<string, { findMany(): Promise<unknown[]> }>;
  for (const model of [
    'user',
    'account',
    'session',
    'team',
    'membership',
    'teamInvite',
    'project',
    'apiKey',
    'resource',
    'learnBlock',
    'task',
    'execution',
    'executionEvent',
    'trainingSession',
  ]) {
    const text = JSON.stringify(await db[model]!.findMany());
    for (const secret of secrets) if (text.includes(secret)) found.push(`${model} holds a plain secret`);
  }
  const users = await w.t.db.user.findMany({ select: { email: true, passwordHash: true } });
  for (const user of users)
    if (user.passwordHash && !/^\$2[aby]\$\d\d\$/.test(user.passwordHash))
      found.push(`${user.email}: password not bcrypt`);
  const keys = await w.t.db.apiKey.findMany({ select: { keyHash: true } });
  for (const key of keys)
    if (!/^[0-9a-f]{32,64}$/.test(key.keyHash)) found.push('an API key hash is not a hash');
  return found;
}

export function printAuthz(reports: AuthzReport[]) {
  const rows = [
    ['', ...reports.map((r) => r.database)],
    ['operations (REST routes + tRPC procedures)', ...reports.map((r) => String(r.operations))],
    ['callers (users, team and project keys, none)', ...reports.map((r) => String(r.callers))],
    ['calls', ...reports.map((r) => String(r.calls))],
    ['expected allowed / denied', ...reports.map((r) => `${r.expectedAllowed} / ${r.expectedDenied}`)],
    ['observed allowed / denied', ...reports.map((r) => `${r.allowed} / ${r.denied}`)],
    ['matching the matrix', ...reports.map((r) => `${((100 * r.matching) / r.calls).toFixed(1)}%`)],
    ['mismatches (must be 0)', ...reports.map((r) => String(r.mismatches.length))],
    ['other team data shown (must be 0)', ...reports.map((r) => String(r.leaks.length))],
    ['operations not classified (must be 0)', ...reports.map((r) => String(r.unclassified.length))],
    ['plain secrets at rest (must be 0)', ...reports.map((r) => String(r.secretsAtRest.length))],
    ['seconds', ...reports.map((r) => r.seconds.toFixed(1))],
  ];
  printTable(rows);
  for (const r of reports)
    for (const line of [
      ...r.mismatches,
      ...r.leaks,
      ...r.unclassified.map((u) => `unclassified ${u}`),
      ...r.secretsAtRest,
    ])
      console.log(`  [${r.database}] ${line}`);
}

export const authzFailed = (r: AuthzReport) =>
  r.mismatches.length + r.leaks.length + r.unclassified.length + r.secretsAtRest.length > 0;

export interface LogReport {
  processes: string[];
  logBytes: number;
  secretsChecked: number;
  secretsFound: string[];
  output: string;
  /** The flow's training as the MLW task list last showed it. */
  trainingStatus: string;
  seconds: number;
}

/**
 * Runs a flow against real processes (web in production mode and a trainer, debug logging) with every kind
 * of secret (password, wrong password, API key, Edge Impulse JWT, session key, socket token), captures all
 * of their stdout and stderr and greps it for each secret.
 */
export async function secretsInLogs(): Promise<LogReport> {
  const started = Date.now();
  const { spawn } = await import('node:child_process');
  const { join } = await import('node:path');
  const { admin, createPlatform, exited, root, waitForHttp } = await import('./platform');
  const platform = await createPlatform('sqlite');
  platform.env.LOG_LEVEL = 'debug';
  const email = 'logs@example.com';
  const password = `pw-${randomBytes(9).toString('hex')}`;
  const wrongPassword = `wrong-${randomBytes(9).toString('hex')}`;
  let output = admin(platform, ['create-user', '--email', email, '--password', password, '--team', 'Logs']);
  const keyLine = admin(platform, ['create-api-key', '--email', email, '--team', 'Logs', '--role', 'admin']);
  const apiKey = /\b((?:th|ei)\w*_[A-Za-z0-9_-]{20,})/.exec(keyLine)?.[1];
  if (!apiKey) throw new Error(`no API key in the admin output: ${keyLine}`);
  const logs: string[] = [];
  const capture = (name: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => logs.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => logs.push(d.toString()));
    return { name, child };
  };
  const processes = [
    capture('web', ['--import', 'tsx', 'server.ts'], join(root, 'apps/web'), {
      ...platform.env,
      NODE_ENV: 'production',
    }),
    capture('trainer', [join(root, 'apps/trainer/dist/main.mjs')], join(root, 'apps/trainer'), {
      ...platform.env,
      TRAINER_ID: 'logs-1',
    }),
  ];
  const secrets: Record<string, string> = { password, 'wrong password': wrongPassword, 'API key': apiKey };
  let trainingStatus = 'not started';
  try {
    await waitForHttp(`${platform.baseUrl}/api/health`);
    const base = platform.baseUrl;
    const f = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
      const text = await response.text();
      return { status: response.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
    };
    const basicAuth = { authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}` };
    const bearer = { authorization: `Bearer ${apiKey}` };
    await f('/service/mlw/projects', { headers: basicAuth });
    await f('/service/mlw/projects', {
      headers: { authorization: `Basic ${Buffer.from(`${email}:${wrongPassword}`).toString('base64')}` },
    });
    const project = (
      await f('/service/mlw/projects', {
        method: 'POST',
        headers: { ...bearer, 'content-type': 'application/json' },
        body: '{"name":"logs"}',
      })
    ).json() as { id: string };
    // MLW answers the project with its files by group: the upload is the file of that name.
    const up = async (name: string, content: string) => {
      const answer = (
        await f(`/service/mlw/projects/${project.id}/resources`, {
          method: 'POST',
          headers: bearer,
          body: multipart({ file: { name, content } }),
        })
      ).json() as { resources: Record<string, { id: string; name: string }[]> };
      return Object.values(answer.resources)
        .flat()
        .find((r) => r.name === name)!;
    };
    const data = await up(
      'd.csv',
      `a,b,label\n${Array.from({ length: 60 }, (_, i) => `${i % 3},${i % 5},c${i % 3}`).join('\n')}\n`,
    );
    const arch = await up('n.architecture', '{"layers":[{"type":"dense","units":8}]}');
    const code = await up('p.py', '{"scaling":"standardize"}');
    const task = (
      await f(`/service/mlw/projects/${project.id}/resources/${arch.id}/trainNN`, {
        method: 'POST',
        headers: { ...basicAuth, 'content-type': 'text/plain' },
        body: JSON.stringify({
          batchSize: 8,
          epoch: 2,
          learningRate: 0.01,
          loss: 'categorical_crossentropy',
          optimizer: 'adam',
          modelName: 'logs',
          dataID: data.id,
          codeID: code.id,
          problemType: 'classification',
        }),
      })
    ).json() as { id: string };
    const login = (
      await f('/v1/api-login', {
        method: 'POST',
        body: JSON.stringify({ username: email, password }),
      })
    ).json() as { token: string };
    await f('/v1/api-login', {
      method: 'POST',
      body: JSON.stringify({ username: email, password: wrongPassword }),
    });
    secrets['Edge Impulse JWT'] = login.token;
    const projects = (await f('/v1/api/projects', { headers: { 'x-jwt-token': login.token } })).json() as {
      projects: { id: number }[];
    };
    const pid = projects.projects[0]!.id;
    const socket = (await f(`/v1/api/${pid}/socket-token`, { headers: { 'x-api-key': apiKey } })).json() as {
      token: { socketToken: string };
    };
    if (socket.token?.socketToken) secrets['socket token'] = socket.token.socketToken;
    const session = (
      await f('/training-module/start_session?force_restart=1', {
        headers: { 'x-api-key': apiKey },
      })
    ).json() as { key: string };
    secrets['session key'] = session.key;
    await f(`/training-module/monitor/${session.key}`);
    await f(`/training-module/parameters/${session.key}`, { method: 'POST', body: '{"epochs":"bad"}' });
    await f('/api/trpc/projects.list', { headers: { 'x-api-key': apiKey } });
    await f('/api/trpc/projects.list', { headers: { cookie: `next-auth.session-token=${session.key}` } });
    await f('/api/auth/callback/credentials', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email, password: wrongPassword }).toString(),
    });
    // Let the training run (its logs count too).
    const taskId = task.id;
    for (let i = 0; i < 240; i++) {
      const t = (await f(`/service/mlw/tasks/${taskId}`, { headers: bearer })).json() as {
        individualTasks?: { status?: string }[];
      };
      trainingStatus = String(t.individualTasks?.[0]?.status);
      if (/COMPLETED|FAILED|STOPPED|CANCELLED/.test(trainingStatus)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    for (const p of processes) p.child.kill('SIGTERM');
    await Promise.all(processes.map((p) => exited(p.child)));
    await platform.stop();
  }
  output = logs.join('');
  return {
    processes: processes.map((p) => p.name),
    logBytes: output.length,
    output,
    secretsChecked: Object.keys(secrets).length,
    secretsFound: Object.entries(secrets)
      .filter(([, value]) => output.includes(value))
      .map(([name]) => name),
    trainingStatus,
    seconds: (Date.now() - started) / 1000,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let stopPg: (() => void) | undefined;
  if (!process.env.TEST_DATABASE_URL_POSTGRES) {
    // @ts-expect-error plain ESM helper shared with the npm scripts
    const { startPostgres } = await import('../../scripts/lib/postgres.mjs');
    const pg = (await startPostgres()) as { url: string; stop(): void };
    process.env.TEST_DATABASE_URL_POSTGRES = pg.url;
    stopPg = () => pg.stop();
  }
  const reports: AuthzReport[] = [];
  try {
    for (const provider of ['sqlite', 'postgresql'] as const) reports.push(await runAuthz(provider));
  } finally {
    stopPg?.();
  }
  console.log('\nauthorization matrix: every operation x every caller, in-process on each database\n');
  printAuthz(reports);
  const logs = await secretsInLogs();
  console.log(
    `\nsecrets in logs: ${logs.processes.join(' + ')} (production, LOG_LEVEL=debug), a full flow\n`,
  );
  console.log(`log bytes captured                 ${logs.logBytes}`);
  console.log(`secrets used and searched for      ${logs.secretsChecked}`);
  console.log(
    `secrets found in logs (must be 0)  ${logs.secretsFound.length}${logs.secretsFound.length ? ` (${logs.secretsFound.join(', ')})` : ''}`,
  );
  console.log(`training in the flow                ${logs.trainingStatus}`);
  console.log(`seconds                            ${logs.seconds.toFixed(1)}`);
  if (process.env.AUTHZ_SHOW_LOGS) console.log(logs.output);
  process.exit(reports.some(authzFailed) || logs.secretsFound.length ? 1 : 0);
}
