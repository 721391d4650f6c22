// Fault suite: trainings submitted through the MLW API while web and trainer processes are killed with
// SIGKILL at random moments and restarted. Prints, per database: accepted, completed, lost (must be 0), run
// twice (must be 0), histories with duplicated or missing epochs (must be 0), and failures by cause: a few
// trainings get a data set with a bad cell on purpose and must fail on it ("failed on input"); any other
// FAILED (a valid training, or a bad one failing for another reason such as "Gave up after 3 attempts") is
// "failed otherwise" (must be 0), and so is a bad one that does not fail.
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
  /** Extra trainings whose data set has a non-numeric cell, interleaved with the others (default 2). */
  badInputs?: number;
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
  /** Trainings with the bad data set refused up front (400 naming the bad cell): nothing written, nothing run. */
  refusedInput: number;
  /** Trainings with the bad data set that ended FAILED naming the bad cell. */
  failedInput: number;
  /** FAILED for a reason other than the training's input, plus bad-input trainings that did not fail (must be 0). */
  failedOther: number;
  /** Their reasons (or "bad input not caught: <status>"). */
  otherFailures: string[];
}

/** The cell the bad data set spoils, and how the trainer must name it. */
const BAD_CELL = 'oops';
const namesBadCell = (message: string | null) =>
  !!message &&
  message.includes('column "b"') &&
  message.includes(BAD_CELL) &&
  // Retried and given up on is not failing on the input (input errors fail at once).
  !/^(Gave up|Failed after)/.test(message);

/**
 * Why a finished training ended as it did, judged by what the suite knows of its input: a training with the
 * bad data set must end FAILED with a message naming that cell ('input'); any other FAILED is 'other', as is
 * a bad-input training ending anything but FAILED. Valid trainings that did not fail are 'ok'.
 */
export function failureCause(
  badInput: boolean,
  status: string,
  message: string | null,
): 'ok' | 'input' | 'other' {
  if (badInput) return status === 'FAILED' && namesBadCell(message) ? 'input' : 'other';
  return status === 'FAILED' ? 'other' : 'ok';
}

/** The `message` of an MLW error body, or the body itself. */
function mlwMessage(body: string): string {
  try {
    return String((JSON.parse(body) as { message?: unknown }).message ?? body);
  } catch {
    return body;
  }
}

function rng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function blobsCsv(rows: number, badRow?: number): string {
  const random = rng(42);
  const lines = ['a,b,c,d,label'];
  for (let i = 0; i < rows; i++) {
    const k = i % 3;
    const cells = [0, 1, 2, 3].map((j) => (k * 3 + (j === k ? 2 : 0) + random()).toFixed(3));
    if (i === badRow) cells[1] = BAD_CELL;
    lines.push(`${cells.join(',')},class_${k}`);
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
    const badInputs = options.badInputs ?? 2;
    const badDataset =
      badInputs > 0
        ? await withRetry(() => client.upload(project.id, 'blobs-bad.csv', blobsCsv(450, 200)), noteAmbiguous)
        : null;
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
    const acceptedBad = new Set<number>();
    let refusedInput = 0;
    const total = options.trainings + badInputs;
    // The bad-input trainings, spread evenly among the others.
    const badAt = new Set(
      Array.from({ length: badInputs }, (_, k) => Math.floor(((k + 0.5) * total) / badInputs)),
    );
    for (let i = 0; i < total; i++) {
      const bad = badAt.has(i) && badDataset !== null;
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
            dataID: bad ? badDataset.id : dataset.id,
            codeID: code.id,
            problemType: 'classification',
          }),
        noteAmbiguous,
      ).catch((error: unknown) => {
        // The platform checks a training request before anything is written: the bad data set is refused.
        if (bad && error instanceof HttpError && error.status === 400 && namesBadCell(mlwMessage(error.body)))
          return null;
        throw error;
      });
      if (!task) {
        refusedInput++;
        continue;
      }
      accepted.push(Number(task.id));
      if (bad) acceptedBad.add(Number(task.id));
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
      let failedInput = 0;
      const otherFailures: string[] = [];
      const failures = new Set<string>();
      for (const task of tasks.filter((t) => acceptedSet.has(t.id))) {
        const finished = task.executions.filter((e) =>
          ['COMPLETED', 'STOPPED', 'FAILED', 'CANCELLED'].includes(e.status),
        );
        if (finished.length === 0) lost++;
        if (task.executions.length > 1) runTwice++;
        for (const execution of finished) {
          const cause = failureCause(acceptedBad.has(task.id), execution.status, execution.message);
          if (cause === 'input') failedInput++;
          else if (cause === 'other')
            otherFailures.push(
              execution.status === 'FAILED'
                ? `task ${task.id}${acceptedBad.has(task.id) ? ' (bad input)' : ''}: ${execution.message ?? 'unknown'}`
                : `task ${task.id}: bad input not caught: ${execution.status}`,
            );
        }
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
        refusedInput,
        failedInput,
        failedOther: otherFailures.length,
        otherFailures,
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
    'database    trainers accepted completed failed(input/other) lost run-twice epoch-errors unacked kills(web/trainer) seconds';
  const rows = reports.map(
    (r) =>
      `${r.database.padEnd(11)} ${String(r.trainers).padStart(8)} ${String(r.accepted).padStart(8)} ${String(r.completed).padStart(9)} ` +
      `${`${r.failed} (${r.failedInput}/${r.failedOther})`.padStart(20)} ${String(r.lost).padStart(4)} ${String(r.runTwice).padStart(9)} ${String(r.epochErrors).padStart(12)} ` +
      `${String(r.unacknowledged).padStart(7)} ${`${r.kills.web}/${r.kills.trainer}`.padStart(18)} ${String(r.seconds).padStart(7)}`,
  );
  const reasons = reports.flatMap((r) => r.failures.map((f) => `  failed on ${r.database}: ${f}`));
  const others = reports.flatMap((r) => r.otherFailures.map((f) => `  NOT THE INPUT on ${r.database}: ${f}`));
  return [header, ...rows, ...reasons, ...others].join('\n');
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
  // Non-zero also when a training failed for a reason other than its input (or a bad input was not caught).
  const bad = reports.some((r) => r.lost || r.runTwice || r.epochErrors || r.failedOther);
  process.exit(bad ? 1 : 0);
}
