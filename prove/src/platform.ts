// Starts and kills the platform's real processes (web, trainers, PostgreSQL) for whole-platform suites.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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
