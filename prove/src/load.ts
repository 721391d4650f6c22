// Load suite: the production web process (NODE_ENV=production, `node --import tsx server.ts`) and one
// trainer, on SQLite and on PostgreSQL. A training runs alone first, then the same training again under
// 200 concurrent status readers and 20 writers (autocannon) for 60 s. Prints req/s, p50/p99 latency,
// errors (must be 0) and the training's samples/s under load against alone (the slowdown ratio).
//
//   npm run prove:load                          (needs the production build: npm run build)
//   LOAD_SECONDS=20 LOAD_READERS=50 LOAD_WRITERS=5 LOAD_DATABASES=sqlite npm run prove:load
import autocannon from 'autocannon';
import { createDb, isTerminal } from '@trainhub/db';
import { MlwClient } from './mlw';
import { admin, createPlatform, exited, sleep, startTrainer, startWeb, waitForHttp } from './platform';
import { printTable } from './table';

export interface LoadOptions {
  provider: 'sqlite' | 'postgresql';
  seconds: number;
  readers: number;
  writers: number;
  /** Rows of the training's dataset and its epochs (the training should last about as long as the load). */
  rows: number;
  epochs: number;
}

export interface LoadFigures {
  requests: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export interface LoadReport {
  database: string;
  seconds: number;
  readers: LoadFigures;
  writers: LoadFigures;
  /** Writers' p50/p99 without each connection's first request (see `firstRequests`). */
  writersSteady: { p50: number; p99: number };
  /** Each writer connection's first answer, opened while 200 readers saturate the server: max, in ms. */
  writersFirstMax: number;
  aloneSamplesPerSec: number;
  loadedSamplesPerSec: number;
  slowdown: number;
  trainingStatus: string;
}

function csv(rows: number): string {
  const lines = ['a,b,c,d,label'];
  for (let i = 0; i < rows; i++) {
    const k = i % 3;
    lines.push(
      `${[0, 1, 2, 3].map((j) => (k * 3 + (j === k ? 2 : 0) + ((i * 31 + j * 7) % 100) / 100).toFixed(2)).join(',')},c${k}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const figures = (r: autocannon.Result): LoadFigures => ({
  requests: r.requests.total,
  reqPerSec: r.requests.average,
  p50: r.latency.p50,
  p99: r.latency.p99,
  errors: r.errors + r.timeouts,
  non2xx: r.non2xx,
});

function percentile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
}

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const platform = await createPlatform(options.provider);
  const email = 'load@example.com';
  const password = 'load-password-1';
  admin(platform, ['create-user', '--email', email, '--password', password, '--team', 'Load']);
  const keyOut = admin(platform, ['create-api-key', '--email', email, '--team', 'Load', '--role', 'editor']);
  const apiKey = /\b((?:ei|th)_[A-Za-z0-9_-]{20,})/.exec(keyOut)?.[1];
  if (!apiKey) throw new Error(`no API key printed: ${keyOut}`);
  const web = startWeb(platform);
  const trainer = startTrainer(platform, 'load-1');
  const db = createDb(platform.databaseUrl);
  try {
    await waitForHttp(`${platform.baseUrl}/api/health`, 120_000);
    const client = new MlwClient(platform.baseUrl, `Bearer ${apiKey}`);
    const project = await client.createProject('load');
    const data = await client.upload(project.id, 'data.csv', csv(options.rows));
    const arch = await client.upload(
      project.id,
      'net.architecture',
      JSON.stringify({
        layers: [
          { type: 'dense', units: 32 },
          { type: 'dense', units: 16 },
        ],
      }),
    );
    const code = await client.upload(project.id, 'prep.py', JSON.stringify({ scaling: 'standardize' }));
    const body = (extra: Record<string, unknown> = {}) => ({
      batchSize: 16,
      epoch: options.epochs,
      learningRate: 0.01,
      loss: 'categorical_crossentropy',
      optimizer: 'Adam',
      testSize: 0.2,
      modelName: 'load',
      dataID: data.id,
      codeID: code.id,
      problemType: 'classification',
      ...extra,
    });
    /** Trains once; the mean samples/s of its epochs as the trainer measured them. */
    const train = async (during?: Promise<unknown>) => {
      const task = (await client.trainNN(project.id, arch.id, body())) as unknown as {
        id: string;
        individualTasks: { id: string }[];
      };
      const executionId = Number(task.individualTasks[0]!.id);
      for (;;) {
        const execution = await db.execution.findUniqueOrThrow({ where: { id: executionId } });
        if (isTerminal(execution.status)) {
          await during;
          const epochs = await db.executionEvent.findMany({ where: { executionId, kind: 'EPOCH' } });
          const rates = epochs
            .map((e) => (e.data as { samplesPerSecond?: number }).samplesPerSecond)
            .filter((v): v is number => typeof v === 'number');
          return {
            executionId,
            status: execution.status,
            samplesPerSec: rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : 0,
          };
        }
        await sleep(250);
      }
    };
    const alone = await train();

    // Under load: the same training while readers poll statuses and writers create (future-dated)
    // trainings and update the project.
    const loaded = await client.trainNN(project.id, arch.id, body());
    const executionId = Number(
      (loaded as unknown as { individualTasks: { id: string }[] }).individualTasks[0]!.id,
    );
    const taskId = Number(loaded.id);
    const headers = { authorization: `Bearer ${apiKey}` };
    const readers = autocannon({
      url: platform.baseUrl,
      connections: options.readers,
      duration: options.seconds,
      timeout: 30,
      requests: [
        { method: 'GET', path: `/service/mlw/tasks/${taskId}/task/${executionId}`, headers },
        {
          method: 'GET',
          path: `/v1/api/${parseInt(project.id)}/jobs/${executionId}/status`,
          headers: { 'x-api-key': apiKey },
        },
      ],
    });
    // Writers' latencies per connection: the first request of a connection opened into a saturated server
    // waits for the server to reach the new socket (seen: 7-18 s), which autocannon's p99 over ~1,300
    // writes shows as the whole tail. Steady-state figures leave each connection's first request out.
    const steady: number[] = [];
    const firsts: number[] = [];
    const writers = autocannon({
      url: platform.baseUrl,
      setupClient: (client: { on(event: 'response', f: (...a: number[]) => void): void }) => {
        let first = true;
        client.on('response', (status, _bytes, ms) => {
          if (status! >= 400) return;
          (first ? firsts : steady).push(ms!);
          first = false;
        });
      },
      connections: options.writers,
      duration: options.seconds,
      timeout: 30,
      requests: [
        {
          method: 'POST',
          path: `/service/mlw/projects/${project.id}/resources/${arch.id}/trainNN`,
          headers: { ...headers, 'content-type': 'text/plain' },
          body: JSON.stringify(body({ startDate: '2099-01-01', modelName: 'future' })),
        },
        {
          method: 'PUT',
          path: `/service/mlw/projects/${project.id}`,
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ description: 'under load' }),
        },
      ],
    });
    const both = Promise.all([readers, writers]);
    let status = 'RUNNING';
    for (;;) {
      const execution = await db.execution.findUniqueOrThrow({ where: { id: executionId } });
      status = execution.status;
      if (isTerminal(status)) break;
      await sleep(500);
    }
    const [r, w] = await both;
    const epochs = await db.executionEvent.findMany({ where: { executionId, kind: 'EPOCH' } });
    const rates = epochs
      .map((e) => (e.data as { samplesPerSecond?: number }).samplesPerSecond)
      .filter((v): v is number => typeof v === 'number');
    const loadedRate = rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : 0;
    return {
      database: options.provider,
      seconds: options.seconds,
      readers: figures(r),
      writers: figures(w),
      writersSteady: { p50: percentile(steady, 0.5), p99: percentile(steady, 0.99) },
      writersFirstMax: Math.round(Math.max(0, ...firsts)),
      aloneSamplesPerSec: alone.samplesPerSec,
      loadedSamplesPerSec: loadedRate,
      slowdown: loadedRate ? alone.samplesPerSec / loadedRate : Infinity,
      trainingStatus: `${alone.status}/${status}`,
    };
  } finally {
    await db.$disconnect();
    trainer.kill('SIGTERM');
    web.kill('SIGTERM');
    await Promise.all([exited(trainer), exited(web)]);
    await platform.stop();
  }
}

export const loadFailed = (r: LoadReport) =>
  r.readers.errors + r.readers.non2xx + r.writers.errors + r.writers.non2xx > 0 ||
  r.trainingStatus !== 'COMPLETED/COMPLETED';

export function printLoad(reports: LoadReport[], options: Omit<LoadOptions, 'provider'>) {
  console.log(
    `\nload: ${options.readers} status readers + ${options.writers} writers for ${options.seconds} s, production web + 1 trainer, a training of ${options.rows} rows x ${options.epochs} epochs running\n`,
  );
  const rows: string[][] = [
    ['', ...reports.map((r) => r.database)],
    ['readers req/s', ...reports.map((r) => r.readers.reqPerSec.toFixed(0))],
    ['readers p50 / p99 ms', ...reports.map((r) => `${r.readers.p50} / ${r.readers.p99}`)],
    [
      'readers errors + non-2xx (must be 0)',
      ...reports.map((r) => String(r.readers.errors + r.readers.non2xx)),
    ],
    ['writers req/s', ...reports.map((r) => r.writers.reqPerSec.toFixed(0))],
    ['writers p50 / p99 ms', ...reports.map((r) => `${r.writers.p50} / ${r.writers.p99}`)],
    [
      'writers p50 / p99 ms, steady',
      ...reports.map((r) => `${r.writersSteady.p50} / ${r.writersSteady.p99}`),
    ],
    ['writers first request max ms', ...reports.map((r) => String(r.writersFirstMax))],
    [
      'writers errors + non-2xx (must be 0)',
      ...reports.map((r) => String(r.writers.errors + r.writers.non2xx)),
    ],
    ['training samples/s alone', ...reports.map((r) => r.aloneSamplesPerSec.toFixed(0))],
    ['training samples/s under load', ...reports.map((r) => r.loadedSamplesPerSec.toFixed(0))],
    ['slowdown (alone / under load)', ...reports.map((r) => `${r.slowdown.toFixed(2)}x`)],
    ['trainings (alone/under load)', ...reports.map((r) => r.trainingStatus)],
  ];
  printTable(rows, 22);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const options = {
    seconds: Number(process.env.LOAD_SECONDS ?? 60),
    readers: Number(process.env.LOAD_READERS ?? 200),
    writers: Number(process.env.LOAD_WRITERS ?? 20),
    rows: Number(process.env.LOAD_ROWS ?? 3000),
    epochs: Number(process.env.LOAD_EPOCHS ?? 20),
  };
  const reports: LoadReport[] = [];
  const providers = (process.env.LOAD_DATABASES ?? 'sqlite,postgresql').split(
    ',',
  ) as LoadOptions['provider'][];
  for (const provider of providers) reports.push(await runLoad({ provider, ...options }));
  printLoad(reports, options);
  process.exit(reports.some(loadFailed) ? 1 : 0);
}
