import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testProviders, type TestDatabase } from '@trainhub/db/testing';

const root = join(import.meta.dirname, '../../..');
const entry = join(root, 'apps/trainer/src/main.ts');

async function waitFor<T>(probe: () => Promise<T | null | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(testProviders)('trainer process on %s', (provider) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(provider);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('heartbeats while running and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: t.url,
        TRAINER_ID: `test-${provider}`,
        TRAINER_HEARTBEAT_MS: '200',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const first = await waitFor(() => t.db.trainerStatus.findUnique({ where: { id: `test-${provider}` } }));
    await waitFor(async () => {
      const row = await t.db.trainerStatus.findUniqueOrThrow({ where: { id: first.id } });
      return row.heartbeatAt > first.heartbeatAt ? row : null;
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const row = await t.db.trainerStatus.findUniqueOrThrow({ where: { id: first.id } });
    expect(row.stoppedAt).not.toBeNull();
    expect(row.pid).toBe(child.pid);
  });
});

describe('trainer configuration', () => {
  it('refuses bad values with a clear message and exit code 2', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', entry], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: 'mysql://x', TRAINER_CONCURRENCY: 'lots' },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('trainer: invalid configuration');
    expect(result.stderr).toContain('DATABASE_URL: must start with file:');
    expect(result.stderr).toContain('TRAINER_CONCURRENCY');
  });
});
