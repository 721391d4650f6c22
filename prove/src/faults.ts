// Fault suite: trainings submitted through the MLW API while web and trainer processes are killed with
// SIGKILL at random moments and restarted. Prints, per database: accepted, completed, lost (must be 0), run
// twice (must be 0), and histories with duplicated or missing epochs (must be 0).
//
//   npm run prove:faults            (PostgreSQL with 2 trainers, then embedded SQLite with 1 trainer)
//   FAULTS_TRAININGS=40 npm run prove:faults
import type { ChildProcess } from 'node:child_process';
import { createDb } from '@trainhub/db';
import { HttpError, MlwClient } from './mlw';
import {
  admin,
  createPlatform,
  exited,
  sleep,
  startTrainer,
  startWeb,
  waitForHttp,
  type Platform,
} from './platform';

export interface FaultOptions {
  provider: 'sqlite' | 'postgresql';
  trainers: number;
  trainings: number;
  epochs: number;
  /** Deterministic chaos: the same seed kills the same processes in the same order. */
  seed: number;
  /** Pause between kills, min and max ms (default 700-2500). */
  chaosIntervalMs?: [number, number];
}

export interface FaultReport {
  database: string;
  trainers: number;
  accepted: number;
  completed: number;
  failed: number;
  lost: number;
  runTwice: number;
  epochErrors: number;
  unacknowledged: number;
  kills: { web: number; trainer: number };
  seconds: number;
  /** Distinct reasons of failed executions. */
  failures: string[];
}

function rng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function blobsCsv(rows: number): string {
  const random = rng(42);
  const lines = ['a,b,c,d,label'];
  for (let i = 0; i < rows; i++) {
    const k = i % 3;
    lines.push(
      `${[0, 1, 2, 3].map((j) => (k * 3 + (j === k ? 2 : 0) + random()).toFixed(3)).join(',')},class_${k}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Retries a call through outages of the web process (up to two minutes), as a patient client would. */
async function withRetry<T>(call: () => Promise<T>, onAmbiguous: () => void): Promise<T> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (error instanceof HttpError && error.status < 500) throw error;
      // A dropped connection may have been processed before the crash: the client cannot know.
      if (!(error instanceof HttpError)) onAmbiguous();
      if (Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

export async function runFaults(options: FaultOptions): Promise<FaultReport> {
  const started = Date.now();
  const random = rng(options.seed);
  const platform: Platform = await createPlatform(options.provider);
  const email = 'prove@example.com';
  const password = 'prove-password-1';
  admin(platform, ['create-user', '--email', email, '--password', password, '--team', 'Prove']);

  const processes = new Map<string, ChildProcess>();
  const launch = (name: string) =>
    processes.set(name, name === 'web' ? startWeb(platform) : startTrainer(platform, name));
  launch('web');
  for (let i = 1; i <= options.trainers; i++) launch(`trainer-${i}`);
  await waitForHttp(`${platform.baseUrl}/api/health`);

  let chaosOn = false;
  let chaos: Promise<void> = Promise.resolve();
  try {
    const client = MlwClient.basic(platform.baseUrl, email, password);
    let ambiguous = 0;
    const noteAmbiguous = () => void ambiguous++;
    const project = await withRetry(() => client.createProject('faults'), noteAmbiguous);
    const dataset = await withRetry(
      () => client.upload(project.id, 'blobs.csv', blobsCsv(450)),
      noteAmbiguous,
    );
    const architecture = await withRetry(
      () =>
        client.upload(
          project.id,
          'net.architecture',
          JSON.stringify({ layers: [{ type: 'dense', units: 16 }] }),
        ),
      noteAmbiguous,
    );
    const code = await withRetry(
      () => client.upload(project.id, 'prep.py', JSON.stringify({ scaling: 'standardize' })),
      noteAmbiguous,
    );
    ambiguous = 0;

    const kills = { web: 0, trainer: 0 };
    chaosOn = true;
    chaos = (async () => {
      while (chaosOn) {
        const [minPause, maxPause] = options.chaosIntervalMs ?? [700, 2500];
        await sleep(minPause + random() * (maxPause - minPause));
        if (!chaosOn) break;
        const names = [...processes.keys()];
        const victim = names[Math.floor(random() * names.length)]!;
        const child = processes.get(victim)!;
        child.kill('SIGKILL');
        await exited(child);
        if (victim === 'web') kills.web++;
        else kills.trainer++;
        await sleep(300 + random() * 900);
        launch(victim);
      }
    })();

    const accepted: number[] = [];
    for (let i = 0; i < options.trainings; i++) {
      await sleep(100 + random() * 500);
      const task = await withRetry(
        () =>
          client.trainNN(project.id, architecture.id, {
            batchSize: 16,
            epoch: options.epochs,
            learningRate: 0.01,
            loss: 'categorical_crossentropy',
            metrics: ['accuracy'],
            optimizer: 'Adam',
            testSize: 0.2,
            recurrence: 'ONE_TIME',
            modelName: `faults-${i}`,
            dataID: dataset.id,
            codeID: code.id,
            problemType: 'classification',
          }),
        noteAmbiguous,
      );
      accepted.push(Number(task.id));
    }
    chaosOn = false;
    await chaos;
    if (!(await fetch(`${platform.baseUrl}/api/health`).catch(() => null)))
      await waitForHttp(`${platform.baseUrl}/api/health`);

    const db = createDb(platform.databaseUrl);
    try {
      const projectId = Number(project.id.split('_')[0]);
      const deadline = Date.now() + 8 * 60_000;
      for (;;) {
        const open = await db.execution.count({
          where: { projectId, status: { in: ['QUEUED', 'RUNNING'] } },
        });
        if (open === 0 || Date.now() > deadline) break;
        await sleep(1000);
      }
      const tasks = await db.task.findMany({
        where: { projectId },
        include: {
          executions: { include: { events: { where: { kind: 'EPOCH' }, select: { epoch: true } } } },
        },
      });
      const models = await db.resource.findMany({
        where: { projectId, kind: 'MODEL' },
        select: { metadata: true },
      });
      const modelsPerExecution = new Map<number, number>();
      for (const model of models) {
        const id = (model.metadata as { executionId?: number } | null)?.executionId ?? -1;
        modelsPerExecution.set(id, (modelsPerExecution.get(id) ?? 0) + 1);
      }
      const acceptedSet = new Set(accepted);
      let completed = 0;
      let failed = 0;
      let lost = 0;
      let runTwice = 0;
      let epochErrors = 0;
      const failures = new Set<string>();
      for (const task of tasks.filter((t) => acceptedSet.has(t.id))) {
        const finished = task.executions.filter((e) =>
          ['COMPLETED', 'STOPPED', 'FAILED', 'CANCELLED'].includes(e.status),
        );
        if (finished.length === 0) lost++;
        if (task.executions.length > 1) runTwice++;
        for (const execution of task.executions) {
          if ((modelsPerExecution.get(execution.id) ?? 0) > 1) runTwice++;
          if (execution.status === 'FAILED') {
            failed++;
            failures.add(execution.message ?? 'unknown');
          }
          if (execution.status !== 'COMPLETED') continue;
          completed++;
          const epochs = execution.events.map((e) => e.epoch!).sort((a, b) => a - b);
          const expected = Array.from({ length: options.epochs }, (_, i) => i + 1);
          if (JSON.stringify(epochs) !== JSON.stringify(expected)) epochErrors++;
        }
      }
      return {
        database: options.provider,
        trainers: options.trainers,
        accepted: accepted.length,
        completed,
        failed,
        lost,
        runTwice,
        epochErrors,
        unacknowledged: tasks.filter((t) => !acceptedSet.has(t.id)).length,
        kills,
        seconds: Math.round((Date.now() - started) / 1000),
        failures: [...failures],
      };
    } finally {
      await db.$disconnect();
    }
  } finally {
    chaosOn = false;
    await chaos;
    for (const child of processes.values()) child.kill('SIGTERM');
    await Promise.all([...processes.values()].map(exited));
    await platform.stop();
  }
}

export function formatReports(reports: FaultReport[]): string {
  const header =
    'database    trainers accepted completed failed lost run-twice epoch-errors unacked kills(web/trainer) seconds';
  const rows = reports.map(
    (r) =>
      `${r.database.padEnd(11)} ${String(r.trainers).padStart(8)} ${String(r.accepted).padStart(8)} ${String(r.completed).padStart(9)} ` +
      `${String(r.failed).padStart(6)} ${String(r.lost).padStart(4)} ${String(r.runTwice).padStart(9)} ${String(r.epochErrors).padStart(12)} ` +
      `${String(r.unacknowledged).padStart(7)} ${`${r.kills.web}/${r.kills.trainer}`.padStart(18)} ${String(r.seconds).padStart(7)}`,
  );
  const reasons = reports.flatMap((r) => r.failures.map((f) => `  failed on ${r.database}: ${f}`));
  return [header, ...rows, ...reasons].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const trainings = Number(process.env.FAULTS_TRAININGS ?? 20);
  const seed = Number(process.env.FAULTS_SEED ?? Date.now() % 100_000);
  const reports = [
    await runFaults({ provider: 'postgresql', trainers: 2, trainings, epochs: 6, seed }),
    await runFaults({ provider: 'sqlite', trainers: 1, trainings, epochs: 6, seed: seed + 1 }),
  ];
  console.log(
    `\nfault suite (seed ${seed}): SIGKILL of a random web or trainer process every 0.7-2.5 s, restarted 0.3-1.2 s later`,
  );
  console.log(formatReports(reports));
  const bad = reports.some((r) => r.lost || r.runTwice || r.epochErrors);
  process.exit(bad ? 1 : 0);
}
