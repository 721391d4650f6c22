// Starts and kills the platform's real processes (web, trainers, PostgreSQL) for whole-platform suites.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error plain ESM helpers shared with the npm scripts
import { freePort, startPostgres } from '../../scripts/lib/postgres.mjs';

export const root = join(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');

export interface Platform {
  databaseUrl: string;
  dataDir: string;
  port: number;
  baseUrl: string;
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function createPlatform(provider: 'sqlite' | 'postgresql'): Promise<Platform> {
  const dataDir = mkdtempSync(join(tmpdir(), `trainhub-prove-${provider}-`));
  const pg = provider === 'postgresql' ? ((await startPostgres()) as { url: string; stop(): void }) : null;
  const databaseUrl = pg ? pg.url : `file:${join(dataDir, 'trainhub.db')}`;
  const port = (await freePort()) as number;
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    PORT: String(port),
    LOG_LEVEL: 'warn',
  };
  return {
    databaseUrl,
    dataDir,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    env,
    async stop() {
      pg?.stop();
    },
  };
}

/** Runs the admin CLI (which also migrates). */
export function admin(platform: Platform, args: string[]): string {
  const result = spawnSync(process.execPath, [tsx, join(root, 'packages/api/src/admin/cli.ts'), ...args], {
    cwd: root,
    env: platform.env,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`admin ${args[0]} failed: ${result.stderr}`);
  return result.stdout;
}

export function startWeb(platform: Platform): ChildProcess {
  // One process (no tsx wrapper), so SIGKILL really kills the server.
  return spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    cwd: join(root, 'apps/web'),
    env: { ...platform.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export function startTrainer(
  platform: Platform,
  id: string,
  extra: Partial<NodeJS.ProcessEnv> = {},
): ChildProcess {
  return spawn(process.execPath, [join(root, 'apps/trainer/dist/main.mjs')], {
    cwd: join(root, 'apps/trainer'),
    env: {
      ...platform.env,
      TRAINER_ID: id,
      TRAINER_LEASE_MS: '4000',
      TRAINER_HEARTBEAT_MS: '1000',
      ...extra,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

export async function waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not come up`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether the production build is there (the web app's .next build and the trainer's bundle), plus `extra` files. */
export function productionBuilt(...extra: string[]): boolean {
  return [join(root, 'apps/web/.next/BUILD_ID'), join(root, 'apps/trainer/dist/main.mjs'), ...extra].every(
    (f) => existsSync(f),
  );
}

/** The production platform of a whole-platform suite, its processes running. */
export interface RunningPlatform extends Platform {
  web: ChildProcess;
  trainer: ChildProcess;
}

/**
 * The platform as a production install runs it, for suites that drive it with real clients: an embedded SQLite
 * database, one account (email, password, team; created by the admin CLI, which also migrates), the production
 * web server (apps/web/server.ts, NODE_ENV=production) and one trainer (`trainerEnv` added to its environment).
 * Resolves once GET /api/health answers (within `timeoutMs`); `stop()` sends both processes SIGTERM, waits for
 * them and removes the database server, if any.
 */
export async function startProductionPlatform(options: {
  user: { email: string; password: string; team: string };
  trainerId: string;
  trainerEnv?: Partial<NodeJS.ProcessEnv>;
  timeoutMs?: number;
}): Promise<RunningPlatform> {
  const platform = await createPlatform('sqlite');
  const { email, password, team } = options.user;
  admin(platform, ['create-user', '--email', email, '--password', password, '--team', team]);
  const web = startWeb(platform);
  const trainer = startTrainer(platform, options.trainerId, options.trainerEnv);
  const stop = async () => {
    for (const child of [web, trainer]) child.kill('SIGTERM');
    await Promise.all([exited(web), exited(trainer)]);
    await platform.stop();
  };
  try {
    await waitForHttp(`${platform.baseUrl}/api/health`, options.timeoutMs ?? 120_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { ...platform, web, trainer, stop };
}

/** A CSV of three separable classes (c0, c1, c2) of four features a-d: `rows` rows, the same every time. */
export function blobsCsv(rows: number): string {
  const lines = ['a,b,c,d,label'];
  for (let i = 0; i < rows; i++) {
    const k = i % 3;
    lines.push(
      `${[0, 1, 2, 3].map((j) => (k * 3 + (j === k ? 2 : 0) + ((i * 7919 + j * 31) % 100) / 100).toFixed(2)).join(',')},c${k}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
