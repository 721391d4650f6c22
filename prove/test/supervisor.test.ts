import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '@trainhub/db';
// @ts-expect-error plain ESM helpers shared with the npm scripts
import { freePort } from '../../scripts/lib/postgres.mjs';
import { MlwClient } from '../src/mlw';
import { admin, exited, root, sleep, waitForHttp, type Platform } from '../src/platform';

// The embedded default exactly as `npm start` runs it after its install and build: scripts/serve.mjs
// migrates the SQLite database and supervises the web app and one trainer. The trainer is SIGKILLed while it
// trains (as the kernel's OOM killer would): the web app must answer throughout, the supervisor must bring the
// trainer back within seconds, and the restarted trainer must resume the run at once (the lease is set to
// 10 minutes, so waiting for it would time the test out) with every epoch exactly once. A run whose trainer
// is killed on every attempt must end FAILED with the reason. Needs the production build (npm test builds
// first).

interface SupervisorState {
  trainerId: string;
  services: Record<string, { state: string; pid: number | null; restarts: number }>;
}

interface HealthBody {
  status: string;
  supervisor: {
    processes: { name: string; state: string; restarts: number; lastExit: { reason: string } | null }[];
  } | null;
}

const EPOCHS = 40;
const MAX_ATTEMPTS = 3;

function dataset(rows: number): string {
  let state = 7;
  const random = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const lines = ['a,b,c,d,e,f,label'];
  for (let i = 0; i < rows; i++) {
    const k = i % 3;
    const features = Array.from({ length: 6 }, (_, j) => (k + (j % 3 === k ? 1.5 : 0) + random()).toFixed(3));
    lines.push(`${features.join(',')},class_${k}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('npm start supervision (embedded SQLite)', () => {
  let serve: ChildProcess;
  let output = '';
  let db: Db;
  let baseUrl: string;
  let stateFile: string;
  let client: MlwClient;
  let projectId: string;
  let datasetId: string;
  let architectureId: string;
  // The web app is polled every 200 ms from start to end; every failed answer is counted.
  let polling = true;
  let poller: Promise<void> = Promise.resolve();
  const webFailures: string[] = [];
  let webAnswers = 0;

  const supervisor = () => JSON.parse(readFileSync(stateFile, 'utf8')) as SupervisorState;
  const trainerPid = () => supervisor().services.trainer?.pid ?? null;
  const health = async () => (await (await fetch(`${baseUrl}/api/health`)).json()) as HealthBody;

  async function waitFor<T>(
    what: string,
    read: () => Promise<T | null | undefined>,
    ms = 240_000,
  ): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await read();
      if (value !== null && value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${output.slice(-4000)}`);
      await sleep(100);
    }
  }

  /**
   * SIGKILLs the supervised trainer; returns how long until a new trainer process ran, and what /api/health
   * said meanwhile (the supervised trainer's state and the overall status).
   */
  async function killTrainer(): Promise<{ ms: number; seen: string[] }> {
    const pid = trainerPid();
    if (!pid) throw new Error('no trainer running');
    process.kill(pid, 'SIGKILL');
    const killed = Date.now();
    const seen = new Set<string>();
    await waitFor('the trainer to be restarted', async () => {
      const next = trainerPid();
      if (next !== null && next !== pid) return true;
      const body = await health();
      const trainer = body.supervisor?.processes.find((p) => p.name === 'trainer');
      if (trainer && trainer.state !== 'running') seen.add(`${trainer.state}/${body.status}`);
      return false;
    });
    return { ms: Date.now() - killed, seen: [...seen] };
  }

  async function train(name: string): Promise<number> {
    const task = await client.trainNN(projectId, architectureId, {
      batchSize: 8,
      epoch: EPOCHS,
      learningRate: 0.01,
      loss: 'categorical_crossentropy',
      metrics: ['accuracy'],
      optimizer: 'Adam',
      testSize: 0.2,
      recurrence: 'ONE_TIME',
      modelName: name,
      dataID: datasetId,
      problemType: 'classification',
    });
    const execution = await waitFor('the execution row', () =>
      db.execution.findFirst({ where: { taskId: Number(task.id) } }),
    );
    return execution.id;
  }

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'trainhub-supervisor-'));
    stateFile = join(dataDir, 'supervisor.json');
    const port = (await freePort()) as number;
    baseUrl = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      // Long enough that a resume which waited for the lease would time the test out.
      TRAINER_LEASE_MS: '600000',
      TRAINER_HEARTBEAT_MS: '1000',
      TRAINER_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    };
    delete env.DATABASE_URL;
    delete env.TRAINER_ID;
    const databaseUrl = `file:${join(dataDir, 'trainhub.db')}`;
    const platform: Platform = {
      databaseUrl,
      dataDir,
      port,
      baseUrl,
      env: { ...env, DATABASE_URL: databaseUrl },
      stop: async () => undefined,
    };
    admin(platform, [
      'create-user',
      '--email',
      'sup@example.com',
      '--password',
      'supervise-me-1',
      '--team',
      'S',
    ]);
    serve = spawn(process.execPath, [join(root, 'scripts/serve.mjs')], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    serve.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    serve.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitForHttp(`${baseUrl}/api/health`, 180_000);
    poller = (async () => {
      while (polling) {
        try {
          const response = await fetch(`${baseUrl}/api/health`, { signal: AbortSignal.timeout(10_000) });
          if (response.status === 200) webAnswers++;
          else webFailures.push(`HTTP ${response.status}`);
        } catch (error) {
          webFailures.push(String(error));
        }
        await sleep(200);
      }
    })();
    db = createDb(platform.env.DATABASE_URL!);
    client = MlwClient.basic(baseUrl, 'sup@example.com', 'supervise-me-1');
    const project = await client.createProject('supervision');
    projectId = project.id;
    datasetId = (await client.upload(projectId, 'blobs.csv', dataset(3000))).id;
    architectureId = (
      await client.upload(
        projectId,
        'net.architecture',
        JSON.stringify({
          layers: [
            { type: 'dense', units: 64 },
            { type: 'dense', units: 32 },
          ],
        }),
      )
    ).id;
    await waitFor('a live trainer', async () => (await health()).status === 'ok');
  }, 300_000);

  afterAll(async () => {
    polling = false;
    await poller;
    await db?.$disconnect();
    if (serve && serve.exitCode === null) {
      serve.kill('SIGTERM');
      await exited(serve);
    }
  }, 60_000);

  it(
    'restarts a SIGKILLed trainer within seconds while the web app answers; the run completes, every epoch once',
    { timeout: 600_000 },
    async () => {
      const id = await train('survives');
      const restarts: number[] = [];
      const seen: string[] = [];
      const resumed: number[] = [];
      for (let kill = 1; kill <= 2; kill++) {
        // Mid-training: this attempt has checkpointed at least one epoch of its own.
        const before = (await db.execution.findUniqueOrThrow({ where: { id } })).checkpointEpoch ?? 0;
        await waitFor(`attempt ${kill} to train an epoch`, async () => {
          const row = await db.execution.findUniqueOrThrow({ where: { id } });
          if (row.status !== 'RUNNING' && row.status !== 'QUEUED')
            throw new Error(`execution ended ${row.status} before kill ${kill}: ${row.message}`);
          return row.attempt === kill && (row.checkpointEpoch ?? 0) > before;
        });
        const killedAt = Date.now();
        const kill_ = await killTrainer();
        restarts.push(kill_.ms);
        seen.push(...kill_.seen);
        // The new trainer takes the run back at once (not after the 10-minute lease) and trains on.
        await waitFor(`attempt ${kill + 1} to start`, async () => {
          const row = await db.execution.findUniqueOrThrow({ where: { id } });
          return row.attempt === kill + 1 && row.status === 'RUNNING';
        });
        resumed.push(Date.now() - killedAt);
      }
      const done = await waitFor('the run to finish', async () => {
        const row = await db.execution.findUniqueOrThrow({ where: { id } });
        return row.status === 'RUNNING' || row.status === 'QUEUED' ? null : row;
      });
      const epochs = await db.executionEvent.findMany({
        where: { executionId: id, kind: 'EPOCH' },
        orderBy: { epoch: 'asc' },
        select: { epoch: true },
      });
      const body = await health();
      const trainer = body.supervisor?.processes.find((p) => p.name === 'trainer');
      console.log(
        `trainer back after ${restarts.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}, ` +
          `run resumed after ${resumed.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}; ` +
          `web answered ${webAnswers} health polls, ${webFailures.length} failed`,
      );

      expect(done.status, done.message ?? '').toBe('COMPLETED');
      expect(done.attempt).toBe(3);
      expect(epochs.map((e) => e.epoch)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
      expect(webFailures).toEqual([]);
      for (const ms of restarts) expect(ms).toBeLessThan(10_000);
      // Resumed by the restarted trainer (its start-up included), far sooner than the 10-minute lease.
      for (const ms of resumed) expect(ms).toBeLessThan(120_000);
      expect(trainer).toMatchObject({ state: 'running', restarts: 2 });
      // Between death and restart, health reports the trainer restarting and the platform degraded.
      expect(seen).toContain('restarting/degraded');
      expect(trainer?.lastExit?.reason).toMatch(/SIGKILL/);
      expect(output).toMatch(/trainer killed by SIGKILL.*restarting in/);
      expect(serve.exitCode).toBeNull();
    },
  );

  it(
    'ends FAILED with the reason a run whose trainer is killed on every attempt',
    { timeout: 600_000 },
    async () => {
      const id = await train('kills-its-trainer');
      const seen: string[] = [];
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        await waitFor(`attempt ${attempt} to run`, async () => {
          const row = await db.execution.findUniqueOrThrow({ where: { id } });
          return row.attempt === attempt && row.status === 'RUNNING' && row.stage !== null;
        });
        seen.push(...(await killTrainer()).seen);
      }
      const done = await waitFor('the run to end', async () => {
        const row = await db.execution.findUniqueOrThrow({ where: { id } });
        return row.status === 'RUNNING' || row.status === 'QUEUED' ? null : row;
      });
      const log = await db.executionEvent.findMany({
        where: { executionId: id, kind: 'LOG', level: 'error' },
      });

      expect(done.status).toBe('FAILED');
      expect(done.message).toMatch(
        new RegExp(`trainer process died ${MAX_ATTEMPTS} times during this run \\(last: killed by SIGKILL`),
      );
      expect(done.error).toBe(done.message);
      expect(log.map((e) => e.message)).toContain(done.message);
      // Quick deaths in a row show as crash-looping in /api/health (and on the home page).
      expect(seen).toContain('crash-looping/degraded');
      // The web app stayed up; the supervisor went on restarting the trainer, which is running again.
      expect(webFailures).toEqual([]);
      expect(await waitFor('the trainer to run again', async () => trainerPid())).toBeGreaterThan(0);
      expect(serve.exitCode).toBeNull();
    },
  );
});
