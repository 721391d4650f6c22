import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { createRestHandler } from '../src/rest/http';
import { edgeImpulseStyle } from '../src/rest/edge-impulse/routes';
import { mlwStyle } from '../src/rest/mlw/routes';
import { trainingModuleStyle } from '../src/rest/training-module/routes';
import { generateToken } from '../src/auth/secrets';
import { LIST_RUNS_PER_TASK, TASK_RUNS } from '../src/services/tasks';
import { handleTrpc } from '../src/trpc';
import { parseCookies } from '../src/auth/cookies';
import { clearCredentialCaches, principalFromApiKey } from '../src/auth/resolve';
import { revokeApiKey } from '../src/services/teams';
import {
  ARCHITECTURE,
  IRIS_CSV,
  basic,
  makeRun,
  makeTask,
  makeWorld,
  multipart,
  type World,
} from './helpers';

// Regressions found by the prove suites (prove/src/fuzz.ts, prove/src/authz.ts).

describe('parseCookies', () => {
  it('keeps malformed percent-encoding as sent instead of throwing', () => {
    expect(parseCookies('jwt=%E0%A4%A; a=b%20c; =x; bare')).toEqual({ jwt: '%E0%A4%A', a: 'b c' });
    expect(parseCookies(null)).toEqual({});
  });
});

describe.each(testProviders)('prove regressions on %s', (provider) => {
  let w: World;
  beforeAll(async () => {
    w = await makeWorld(provider);
  });
  afterAll(async () => {
    await w?.drop();
  });

  it('Edge Impulse: a malformed jwt cookie answers 401 in the style shape (was 500 URIError)', async () => {
    const handle = createRestHandler(edgeImpulseStyle, () => w.deps);
    const response = await handle(
      new Request(`http://localhost/v1/api/${w.a.projectId}/impulse`, { headers: { cookie: 'jwt=%' } }),
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ success: false });
  });

  it('tRPC: a malformed session cookie answers UNAUTHORIZED (was 500 URIError)', async () => {
    const response = await handleTrpc(
      new Request('http://localhost/api/trpc/projects.list', {
        headers: { cookie: 'next-auth.session-token=%E0%A4%A' },
      }),
      w.deps,
    );
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { json: { data: { code: string } } } };
    expect(body.error.json.data.code).toBe('UNAUTHORIZED');
  });

  it("tRPC executions.listForTask: another team's task answers NOT_FOUND, not an empty list", async () => {
    const task = await makeTask(w.t.db, w.a.projectId);
    const call = (key: string) =>
      handleTrpc(
        new Request(
          `http://localhost/api/trpc/executions.listForTask?input=${encodeURIComponent(JSON.stringify({ json: { taskId: task.id } }))}`,
          { headers: { 'x-api-key': key } },
        ),
        w.deps,
      );
    expect((await call(w.a.keys.VIEWER)).status).toBe(200);
    expect((await call(w.b.keys.OWNER)).status).toBe(404);
  });
});

describe.each(testProviders)('task lists at scale on %s (prove:scale)', (provider) => {
  let w: World;
  beforeAll(async () => {
    w = await makeWorld(provider);
  });
  afterAll(async () => {
    await w?.drop();
  });

  it('MLW GET /tasks pages tasks and bounds runs per task; history of thousands of runs is no 500', async () => {
    const db = w.t.db;
    const pid = w.a.projectId;
    await db.task.createMany({
      data: Array.from({ length: 3 }, (_, i) => ({
        projectId: pid,
        name: `t${i}`,
        source: 'mlw',
        definition: { version: 1 },
        hyperparameters: { epochs: 1, batchSize: 1 },
      })),
    });
    const tasks = await db.task.findMany({ where: { projectId: pid }, orderBy: { id: 'asc' } });
    await db.execution.createMany({
      data: Array.from({ length: 1200 }, (_, i) => ({
        taskId: tasks[i % 3]!.id,
        projectId: pid,
        status: 'COMPLETED' as const,
      })),
    });
    const { historyOf } = await import('../src/services/executions');
    const ids = (await db.execution.findMany({ select: { id: true } })).map((e) => e.id);
    // SQLite refuses an IN list of this many bound parameters in one statement: historyOf chunks it.
    const many = [...ids, ...Array.from({ length: 40_000 }, (_, i) => 10_000_000 + i)];
    expect((await historyOf(db, many)).size).toBe(many.length);

    const handle = createRestHandler(mlwStyle, () => w.deps);
    const get = async (path: string) => {
      const response = await handle(
        new Request(`http://localhost/service/mlw${path}`, {
          headers: { authorization: `Bearer ${w.a.keys.VIEWER}` },
        }),
      );
      expect(response.status).toBe(200);
      return response.json() as Promise<{ data: { id: string; individualTasks: unknown[] }[] }>;
    };
    const first = (await get('/tasks?pageSize=2')).data;
    expect(first).toHaveLength(2);
    expect(first.every((t) => t.individualTasks.length === LIST_RUNS_PER_TASK)).toBe(true);
    const second = (await get('/tasks?pageSize=2&currentPage=2')).data;
    expect(second).toHaveLength(1);
    expect(second[0]!.id).not.toBe(first[0]!.id);
    const one = (await get(`/tasks/${tasks[0]!.id}`)) as unknown as { individualTasks: unknown[] };
    expect(one.individualTasks).toHaveLength(TASK_RUNS);

    const page = await handleTrpc(
      new Request(
        `http://localhost/api/trpc/executions.listForTask?input=${encodeURIComponent(JSON.stringify({ json: { taskId: tasks[0]!.id, take: 50 } }))}`,
        { headers: { 'x-api-key': w.a.keys.VIEWER } },
      ),
      w.deps,
    );
    const body = (await page.json()) as { result: { data: { json: { execution: { id: number } }[] } } };
    expect(body.result.data.json).toHaveLength(50);
  });
});

/** A Db that counts the model calls made through it (each is one query). */
function countingDb(db: World['t']['db']) {
  const counter = { queries: 0, calls: [] as string[] };
  const proxy = new Proxy(db, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop === '$transaction') counter.calls.push('$transaction');
      if (prop === '$queryRaw' && typeof value === 'function') {
        return (...args: unknown[]) => {
          counter.queries++;
          counter.calls.push('$queryRaw');
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      if (typeof prop !== 'string' || prop.startsWith('$') || typeof value !== 'object' || value === null)
        return value;
      return new Proxy(value, {
        get(model, method) {
          const fn = Reflect.get(model, method) as unknown;
          if (typeof fn !== 'function') return fn;
          return (...args: unknown[]) => {
            counter.queries++;
            counter.calls.push(`${prop}.${String(method)}`);
            return (fn as (...a: unknown[]) => unknown).apply(model, args);
          };
        },
      });
    },
  });
  return { db: proxy, counter };
}

describe.each(testProviders)('status reads stay cheap on %s (bench:api)', (provider) => {
  let w: World;
  let taskId: number;
  let executionId: number;
  beforeAll(async () => {
    w = await makeWorld(provider);
    const { task, execution } = await makeRun(w.t.db, w.a.projectId);
    taskId = task.id;
    executionId = execution.id;
  });
  afterAll(async () => {
    clearCredentialCaches();
    await w?.drop();
  });

  const statusRead = (db: World['t']['db'], authorization: string) =>
    createRestHandler(mlwStyle, () => ({ ...w.deps, db }))(
      new Request(`http://localhost/service/mlw/tasks/${taskId}/task/${executionId}`, {
        headers: { authorization },
      }),
    );

  it('an MLW status read with a recently used API key is two plain SQL reads (was 4 Prisma queries)', async () => {
    const { db, counter } = countingDb(w.t.db);
    expect((await statusRead(db, `Bearer ${w.a.keys.VIEWER}`)).status).toBe(200);
    counter.queries = 0;
    counter.calls = [];
    expect((await statusRead(db, `Bearer ${w.a.keys.VIEWER}`)).status).toBe(200);
    // The execution with its scope and task, and its history: plain SQL, at once (status-reads).
    expect(counter.calls).toEqual(['$queryRaw', '$queryRaw']);
  });

  it('an MLW status read with Basic auth checks bcrypt once, then reads the user and its sign-in limit', async () => {
    const { db, counter } = countingDb(w.t.db);
    const auth = basic(w.a.users.VIEWER.email);
    expect((await statusRead(db, auth)).status).toBe(200);
    counter.calls = [];
    expect((await statusRead(db, auth)).status).toBe(200);
    // The cached credential is still checked against the sign-in limit (one indexed read of its counters):
    // otherwise a guesser's right guess would be answered from the cache past the limit.
    expect(counter.calls).toEqual(['user.findUnique', 'rateLimit.findMany', '$queryRaw', '$queryRaw']);
    // A wrong password is never served from the cache.
    expect((await statusRead(db, basic(w.a.users.VIEWER.email, 'wrong password'))).status).toBe(401);
  });

  it('Edge Impulse job status is one plain SQL read, the session monitor two', async () => {
    const { db, counter } = countingDb(w.t.db);
    const jobStatus = () =>
      createRestHandler(edgeImpulseStyle, () => ({ ...w.deps, db }))(
        new Request(`http://localhost/v1/api/${w.a.projectId}/jobs/${executionId}/status`, {
          headers: { 'x-api-key': w.a.keys.VIEWER },
        }),
      );
    expect((await jobStatus()).status).toBe(200);
    counter.calls = [];
    expect((await jobStatus()).status).toBe(200);
    expect(counter.calls).toEqual(['$queryRaw']);

    const { token, hash } = generateToken('tm');
    await w.t.db.trainingSession.create({
      data: {
        keyHash: hash,
        teamId: w.a.id,
        projectId: w.a.projectId,
        taskId,
        state: 'TRAINING',
        config: {},
      },
    });
    await w.t.db.executionEvent.create({
      data: { executionId, seq: 1, kind: 'EPOCH', epoch: 1, data: { epoch: 1, loss: 0.5, metrics: {} } },
    });
    counter.calls = [];
    const monitor = await createRestHandler(trainingModuleStyle, () => ({ ...w.deps, db }))(
      new Request(`http://localhost/training-module/monitor/${token}`),
    );
    expect(monitor.status).toBe(200);
    expect(await monitor.json()).toMatchObject({ epoch: 1, metrics: { loss: 0.5 }, job_id: executionId });
    expect(counter.calls).toEqual(['$queryRaw', '$queryRaw']);
  });

  it('a cached API key stops working the moment it is revoked through the services', async () => {
    const key = w.a.keys.EDITOR;
    const principal = await principalFromApiKey(w.t.db, key);
    expect(principal?.kind).toBe('apiKey');
    expect((await statusRead(w.t.db, `Bearer ${key}`)).status).toBe(200);
    const keyId = principal!.kind === 'apiKey' ? principal!.keyId : 0;
    const owner = await principalFromApiKey(w.t.db, w.a.keys.OWNER);
    await revokeApiKey(w.t.db, owner!, w.a.id, keyId);
    expect((await statusRead(w.t.db, `Bearer ${key}`)).status).toBe(401);
    expect(await principalFromApiKey(w.t.db, key)).toBeNull();
  });
});

describe.each(testProviders)('creating a training stays cheap on %s (prove:load writers)', (provider) => {
  let w: World;
  beforeAll(async () => {
    w = await makeWorld(provider);
  });
  afterAll(async () => {
    await w?.drop();
  });

  it('MLW trainNN reads its three files in one query and writes task + execution in one nested write', async () => {
    const handle = createRestHandler(mlwStyle, () => w.deps);
    const auth = { authorization: `Bearer ${w.a.keys.EDITOR}` };
    const P = `${w.a.projectId}_Project`;
    const upload = async (name: string, content: string) => {
      const response = await handle(
        new Request(`http://localhost/service/mlw/projects/${P}/resources`, {
          method: 'POST',
          headers: auth,
          body: multipart({ file: { name, content } }),
        }),
      );
      // MLW answers the project with its files by group: the upload is the file of that name.
      const body = (await response.json()) as { resources: Record<string, { id: string; name: string }[]> };
      return Object.values(body.resources)
        .flat()
        .find((r) => r.name === name)!.id;
    };
    const data = await upload('d.csv', IRIS_CSV);
    const arch = await upload('n.architecture', ARCHITECTURE);
    const code = await upload('p.py', '{"scaling":"standardize"}');
    const { db, counter } = countingDb(w.t.db);
    const counted = createRestHandler(mlwStyle, () => ({ ...w.deps, db }));
    const train = (dataID: string) =>
      counted(
        new Request(`http://localhost/service/mlw/projects/${P}/resources/${arch}/trainNN`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'text/plain' },
          body: JSON.stringify({
            batchSize: 2,
            epoch: 1,
            learningRate: 0.01,
            loss: 'categorical_crossentropy',
            optimizer: 'Adam',
            modelName: 'm',
            dataID,
            codeID: code,
            problemType: 'classification',
          }),
        }),
      );
    await principalFromApiKey(w.t.db, w.a.keys.EDITOR); // warm the key cache
    const response = await train(data);
    expect(response.status).toBe(200);
    const task = (await response.json()) as { id: string; individualTasks: { id: string; status: string }[] };
    expect(task.individualTasks).toHaveLength(1);
    expect(counter.calls).not.toContain('$transaction');
    expect(counter.calls.filter((c) => c === 'task.create')).toHaveLength(1);
    expect(counter.calls.length).toBeLessThanOrEqual(7);
    const execution = await w.t.db.execution.findUniqueOrThrow({
      where: { id: Number(task.individualTasks[0]!.id) },
    });
    expect(execution).toMatchObject({ taskId: Number(task.id), status: 'QUEUED', projectId: w.a.projectId });
    // The same answers as before for a wrong file.
    const wrong = await train(arch);
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { message: string }).message).toMatch(
      /data resource .* is a architecture file/,
    );
  });
});
