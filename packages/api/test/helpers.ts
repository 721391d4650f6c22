import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactStore, type DatabaseProvider, type ExecutionStatus, type TeamRole } from '@trainhub/db';
import { createTestDatabase, type TestDatabase } from '@trainhub/db/testing';
import { generateToken, hashPassword } from '../src/auth/secrets';
import { API_KEY_PREFIX } from '../src/services/accounts';
import { createRestHandler, type RestDeps } from '../src/rest/http';
import { edgeImpulseStyle } from '../src/rest/edge-impulse/routes';
import { mlwStyle } from '../src/rest/mlw/routes';
import { trainingModuleStyle } from '../src/rest/training-module/routes';
import { handleTrpc } from '../src/trpc';

export const PASSWORD = 'correct horse battery';
export const ROLES: TeamRole[] = ['OWNER', 'ADMIN', 'EDITOR', 'VIEWER'];

export interface TeamFixture {
  id: number;
  slug: string;
  projectId: number;
  /** email per role */
  users: Record<TeamRole, { id: string; email: string }>;
  /** team-wide API key per role */
  keys: Record<TeamRole, string>;
  /** an editor key scoped to the team's project */
  projectKey: string;
}

export interface World {
  t: TestDatabase;
  deps: RestDeps;
  a: TeamFixture;
  b: TeamFixture;
  /** The local artifact store's folder (deps.store). */
  artifactsDir: string;
  drop(): Promise<void>;
}

let passwordHash: Promise<string> | undefined;

async function makeTeam(t: TestDatabase, name: string): Promise<TeamFixture> {
  const hash = await (passwordHash ??= hashPassword(PASSWORD));
  const team = await t.db.team.create({ data: { name, slug: name } });
  const project = await t.db.project.create({ data: { teamId: team.id, name: `${name} project` } });
  const users = {} as TeamFixture['users'];
  const keys = {} as TeamFixture['keys'];
  for (const role of ROLES) {
    const email = `${role.toLowerCase()}@${name}.test`;
    const user = await t.db.user.create({ data: { email, passwordHash: hash } });
    await t.db.membership.create({ data: { teamId: team.id, userId: user.id, role } });
    users[role] = { id: user.id, email };
    const { token, hash: keyHash, displayPrefix } = generateToken(API_KEY_PREFIX);
    await t.db.apiKey.create({
      data: { teamId: team.id, name: role, prefix: displayPrefix, keyHash, role, createdById: user.id },
    });
    keys[role] = token;
  }
  const scoped = generateToken(API_KEY_PREFIX);
  await t.db.apiKey.create({
    data: {
      teamId: team.id,
      projectId: project.id,
      name: 'project',
      prefix: scoped.displayPrefix,
      keyHash: scoped.hash,
      role: 'EDITOR',
    },
  });
  return { id: team.id, slug: team.slug, projectId: project.id, users, keys, projectKey: scoped.token };
}

export async function makeWorld(provider: DatabaseProvider, uploadLimitBytes = 64 * 1024): Promise<World> {
  const t = await createTestDatabase(provider);
  const dir = mkdtempSync(join(tmpdir(), 'trainhub-api-test-'));
  const deps: RestDeps = {
    db: t.db,
    store: new LocalArtifactStore(join(dir, 'artifacts')),
    uploadLimitBytes,
    jwtSecret: 'test-jwt-secret-0123456789abcdef',
    pretrainedModelsDir: null,
  };
  const a = await makeTeam(t, 'alpha');
  const b = await makeTeam(t, 'beta');
  return {
    t,
    deps,
    a,
    b,
    artifactsDir: join(dir, 'artifacts'),
    async drop() {
      await t.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A bare task in a project (the rows a training would make, without the API). */
export function makeTask(db: TestDatabase['db'], projectId: number, name = 't') {
  return db.task.create({
    data: {
      projectId,
      name,
      source: 'test',
      definition: { version: 1 },
      hyperparameters: { epochs: 1, batchSize: 1 },
    },
  });
}

/** A task with one run in the given status. */
export async function makeRun(
  db: TestDatabase['db'],
  projectId: number,
  status: ExecutionStatus = 'RUNNING',
) {
  const task = await makeTask(db, projectId);
  const execution = await db.execution.create({ data: { taskId: task.id, projectId, status } });
  return { task, execution };
}

/** One in-process "server" for every surface (the three REST styles and tRPC): what apps/web mounts. */
export function inProcessFetch(deps: RestDeps): typeof fetch {
  const styles = [mlwStyle, edgeImpulseStyle, trainingModuleStyle].map((style) => ({
    style,
    handle: createRestHandler(style, () => deps),
  }));
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    const path = new URL(request.url).pathname;
    if (path.startsWith('/api/trpc')) return handleTrpc(request, deps);
    const mount = styles.find(({ style }) => path.startsWith(style.basePath));
    return mount ? mount.handle(request) : new Response('not found', { status: 404 });
  }) as typeof fetch;
}

export const basic = (user: string, password = PASSWORD) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

export const IRIS_CSV = [
  'sepal_length,sepal_width,petal_length,petal_width,species',
  '5.1,3.5,1.4,0.2,setosa',
  '7.0,3.2,4.7,1.4,versicolor',
  '6.3,3.3,6.0,2.5,virginica',
  '4.9,3.0,1.4,0.2,setosa',
  '6.4,3.2,4.5,1.5,versicolor',
  '5.8,2.7,5.1,1.9,virginica',
].join('\n');

export const ARCHITECTURE = JSON.stringify({
  layers: [
    { type: 'dense', units: 16, activation: 'relu' },
    { type: 'dense', units: 3, activation: 'softmax' },
  ],
});

export function multipart(
  files: Record<string, { name: string; content: string | Buffer; type?: string }>,
  fields: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [field, value] of Object.entries(fields)) form.append(field, value);
  for (const [field, file] of Object.entries(files)) {
    form.append(
      field,
      new Blob([typeof file.content === 'string' ? file.content : new Uint8Array(file.content)], {
        type: file.type ?? 'application/octet-stream',
      }),
      file.name,
    );
  }
  return form;
}

/** Simulates the trainer: claims an execution, writes stages, epochs, logs and finishes it. */
export async function simulateTraining(
  w: { t: TestDatabase; deps: RestDeps },
  executionId: number,
  options: {
    epochs?: number;
    finish?: 'COMPLETED' | 'FAILED' | 'STOPPED' | null;
    classNames?: string[];
  } = {},
) {
  const epochs = options.epochs ?? 2;
  const db = w.t.db;
  await db.execution.update({
    where: { id: executionId },
    data: {
      status: 'RUNNING',
      startedAt: new Date(),
      stage: 'TRAIN',
      leaseOwner: 'test:1',
      attempt: 1,
      message: 'Training',
      stageLog: { ARCH_READ: 'ok', TRAIN: 'training' },
    },
  });
  let seq = (await db.executionEvent.count({ where: { executionId } })) + 1;
  await db.executionEvent.create({
    data: { executionId, seq: seq++, kind: 'STAGE', message: 'TRAIN', data: { stage: 'TRAIN' } },
  });
  for (let epoch = 1; epoch <= epochs; epoch++) {
    await db.executionEvent.create({
      data: {
        executionId,
        seq: seq++,
        kind: 'EPOCH',
        epoch,
        data: {
          epoch,
          loss: 1 / epoch,
          metrics: { acc: 0.5 + epoch / 100, val_loss: 1.1 / epoch, val_acc: 0.4 + epoch / 100 },
          lr: 0.001,
        },
      },
    });
    await db.executionEvent.create({
      data: {
        executionId,
        seq: seq++,
        kind: 'LOG',
        level: 'info',
        message: `Epoch ${epoch}/${epochs} - loss: ${(1 / epoch).toFixed(4)}`,
      },
    });
  }
  if (options.finish === null) return;
  const execution = await db.execution.findUniqueOrThrow({ where: { id: executionId } });
  const storageKey = `projects/${execution.projectId}/models/${executionId}/model.json`;
  const stored = await w.deps.store.put(storageKey, Buffer.from('{"modelTopology":{},"weightsManifest":[]}'));
  const model = await db.resource.create({
    data: {
      projectId: execution.projectId,
      kind: 'MODEL',
      name: `model-${executionId}.json`,
      size: stored.size,
      contentHash: stored.contentHash,
      storageKey,
      contentType: 'application/json',
    },
  });
  await db.execution.update({
    where: { id: executionId },
    data: {
      status: options.finish ?? 'COMPLETED',
      finishedAt: new Date(),
      message: 'Completed',
      stage: 'SAVE',
      modelResourceId: model.id,
      metrics: {
        loss: 0.3,
        accuracy: 0.9,
        classNames: options.classNames ?? ['setosa', 'versicolor', 'virginica'],
        confusionMatrix: [
          [2, 0, 0],
          [0, 1, 1],
          [0, 0, 2],
        ],
        report: { setosa: { precision: 1, recall: 1, f1: 1, support: 2 } },
        samples: { train: 4, test: 6 },
      },
    },
  });
  return model;
}
