// Scale of data: a project with 10,000 executions and 100,000 history rows (EPOCH events), inserted with
// createMany in batches; then the task lists and execution pages of every surface are timed in-process (the
// handler's own time: what the server spends, without network or Next). Prints p50/p99 per call (target:
// under 100 ms).
//
//   npm run prove:scale                                   (SQLite and PostgreSQL)
//   SCALE_EXECUTIONS=20000 SCALE_EPOCHS=10 SCALE_REPEAT=30 npm run prove:scale
import type { DatabaseProvider } from '@trainhub/db';
import { createRestHandler, edgeImpulseStyle, mlwStyle } from '@trainhub/api/rest';
import { handleTrpc } from '@trainhub/api/trpc';
import { makeWorld } from '../../packages/api/test/helpers';

export interface ScaleOptions {
  provider: DatabaseProvider;
  tasks: number;
  executions: number;
  epochsPerExecution: number;
  /** Timed calls per endpoint. */
  repeat: number;
}

export interface ScaleRow {
  call: string;
  p50: number;
  p99: number;
  max: number;
  status: number;
  bytes: number;
}

export interface ScaleReport {
  database: string;
  executions: number;
  historyRows: number;
  insertSeconds: number;
  rows: ScaleRow[];
  failures: string[];
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export async function runScale(options: ScaleOptions): Promise<ScaleReport> {
  const w = await makeWorld(options.provider);
  const db = w.t.db;
  const pid = w.a.projectId;
  const key = w.a.keys.VIEWER;
  const insertStarted = Date.now();
  try {
    await db.task.createMany({
      data: Array.from({ length: options.tasks }, (_, i) => ({
        projectId: pid,
        name: `task ${i}`,
        source: 'mlw',
        definition: { version: 1 },
        hyperparameters: { epochs: options.epochsPerExecution, batchSize: 8 },
      })),
    });
    const tasks = await db.task.findMany({
      where: { projectId: pid },
      select: { id: true },
      orderBy: { id: 'asc' },
    });
    const perTask = Math.ceil(options.executions / tasks.length);
    const started = new Date(Date.now() - 86_400_000);
    for (let from = 0; from < options.executions; from += 2000) {
      await db.execution.createMany({
        data: Array.from({ length: Math.min(2000, options.executions - from) }, (_, i) => ({
          taskId: tasks[Math.floor((from + i) / perTask)]!.id,
          projectId: pid,
          status: 'COMPLETED' as const,
          startedAt: started,
          finishedAt: started,
          message: 'Completed',
        })),
      });
    }
    const executions = await db.execution.findMany({
      where: { projectId: pid },
      select: { id: true, taskId: true },
      orderBy: { id: 'asc' },
    });
    const events: {
      executionId: number;
      seq: number;
      kind: 'EPOCH' | 'LOG';
      epoch?: number;
      data?: object;
      message?: string;
    }[] = [];
    const flush = async () => {
      if (events.length) await db.executionEvent.createMany({ data: events.splice(0) });
    };
    for (const execution of executions) {
      for (let epoch = 1; epoch <= options.epochsPerExecution; epoch++) {
        events.push({
          executionId: execution.id,
          seq: epoch * 2 - 1,
          kind: 'EPOCH',
          epoch,
          data: {
            epoch,
            loss: 1 / epoch,
            metrics: { acc: 0.5, val_loss: 1 / epoch, val_acc: 0.4 },
            lr: 0.001,
          },
        });
        events.push({ executionId: execution.id, seq: epoch * 2, kind: 'LOG', message: `epoch ${epoch}` });
      }
      if (events.length >= 5000) await flush();
    }
    await flush();
    const insertSeconds = (Date.now() - insertStarted) / 1000;
    const historyRows = await db.executionEvent.count({ where: { kind: 'EPOCH' } });

    const mlw = createRestHandler(mlwStyle, () => w.deps);
    const ei = createRestHandler(edgeImpulseStyle, () => w.deps);
    const big = tasks[0]!.id; // every task holds executions/tasks runs
    const run = executions.find((e) => e.taskId === big)!.id;
    const last = executions.at(-1)!;
    const trpc = (path: string, input: unknown) =>
      handleTrpc(
        new Request(
          `http://localhost/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`,
          {
            headers: { 'x-api-key': key },
          },
        ),
        w.deps,
      );
    const get = (handle: (r: Request) => Promise<Response>, path: string, headers: Record<string, string>) =>
      handle(new Request(`http://localhost${path}`, { headers }));
    const bearer = { authorization: `Bearer ${key}` };
    const calls: [string, () => Promise<Response>][] = [
      ['MLW GET /tasks', () => get(mlw, '/service/mlw/tasks', bearer)],
      [`MLW GET /tasks/{id} (${perTask} runs)`, () => get(mlw, `/service/mlw/tasks/${big}`, bearer)],
      ['MLW GET /tasks/{id}/task/{sub}', () => get(mlw, `/service/mlw/tasks/${big}/task/${run}`, bearer)],
      ['EI  GET /jobs (first page)', () => get(ei, `/v1/api/${pid}/jobs`, { 'x-api-key': key })],
      [
        'EI  GET /jobs?offset=9000',
        () =>
          get(ei, `/v1/api/${pid}/jobs?limit=20&offset=${Math.max(0, options.executions - 1000)}`, {
            'x-api-key': key,
          }),
      ],
      [
        'EI  GET /jobs/{id}/status',
        () => get(ei, `/v1/api/${pid}/jobs/${last.id}/status`, { 'x-api-key': key }),
      ],
      [
        'EI  GET /jobs/{id}/stdout',
        () => get(ei, `/v1/api/${pid}/jobs/${last.id}/stdout`, { 'x-api-key': key }),
      ],
      ['tRPC tasks.list', () => trpc('tasks.list', { projectId: pid })],
      ['tRPC tasks.get', () => trpc('tasks.get', { taskId: big })],
      ['tRPC executions.listForTask', () => trpc('executions.listForTask', { taskId: big })],
      ['tRPC executions.get', () => trpc('executions.get', { executionId: last.id })],
      ['tRPC executions.events', () => trpc('executions.events', { executionId: last.id })],
    ];
    const rows: ScaleRow[] = [];
    const failures: string[] = [];
    for (const [name, call] of calls) {
      const times: number[] = [];
      let status = 0;
      let bytes = 0;
      for (let i = 0; i < options.repeat + 1; i++) {
        const t0 = performance.now();
        const response = await call();
        const body = await response.arrayBuffer();
        const ms = performance.now() - t0;
        if (i > 0) times.push(ms); // the first call warms caches
        status = response.status;
        bytes = body.byteLength;
        if (status !== 200) failures.push(`${name}: ${status} ${Buffer.from(body).toString().slice(0, 200)}`);
      }
      times.sort((a, b) => a - b);
      rows.push({ call: name, p50: pct(times, 50), p99: pct(times, 99), max: times.at(-1)!, status, bytes });
    }
    return {
      database: options.provider,
      executions: executions.length,
      historyRows,
      insertSeconds,
      rows,
      failures,
    };
  } finally {
    await w.drop();
  }
}

export function printScale(reports: ScaleReport[]) {
  for (const r of reports) {
    console.log(
      `\n${r.database}: ${r.executions} executions, ${r.historyRows} history rows (inserted in ${r.insertSeconds.toFixed(1)} s)\n`,
    );
    console.log(
      `${'call'.padEnd(36)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'bytes'.padStart(10)}  <100ms`,
    );
    for (const row of r.rows)
      console.log(
        `${row.call.padEnd(36)} ${row.p50.toFixed(1).padStart(8)} ${row.p99.toFixed(1).padStart(8)} ${row.max.toFixed(1).padStart(8)} ${String(row.bytes).padStart(10)}  ${row.p99 < 100 ? 'yes' : 'NO'}`,
      );
    for (const f of r.failures.slice(0, 10)) console.log(`  failure: ${f}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const options = {
    tasks: Number(process.env.SCALE_TASKS ?? 100),
    executions: Number(process.env.SCALE_EXECUTIONS ?? 10_000),
    epochsPerExecution: Number(process.env.SCALE_EPOCHS ?? 10),
    repeat: Number(process.env.SCALE_REPEAT ?? 20),
  };
  let stopPg: (() => void) | undefined;
  if (!process.env.TEST_DATABASE_URL_POSTGRES) {
    // @ts-expect-error plain ESM helper shared with the npm scripts
    const { startPostgres } = await import('../../scripts/lib/postgres.mjs');
    const pg = (await startPostgres()) as { url: string; stop(): void };
    process.env.TEST_DATABASE_URL_POSTGRES = pg.url;
    stopPg = () => pg.stop();
  }
  const reports: ScaleReport[] = [];
  try {
    for (const provider of ['sqlite', 'postgresql'] as const)
      reports.push(await runScale({ provider, ...options }));
  } finally {
    stopPg?.();
  }
  printScale(reports);
  // Timings are printed, not asserted (shared machines are noisy); errors are.
  process.exit(reports.some((r) => r.failures.length) ? 1 : 0);
}
