import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testProviders, type TestDatabase } from '@trainhub/db/testing';
import { createDb } from '@trainhub/db';
import { getHealth, TRAINER_LIVENESS_MS } from '../src/services/health';

describe.each(testProviders)('health on %s', (provider) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(provider);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('is degraded with a reachable database and no trainer', async () => {
    const health = await getHealth(t.db);
    expect(health).toMatchObject({
      status: 'degraded',
      database: { ok: true, provider },
      trainers: [],
      lastTrainerHeartbeat: null,
    });
  });

  it('is ok while a trainer heartbeat is recent, and counts stale or stopped trainers as not live', async () => {
    const now = new Date();
    await t.db.trainerStatus.createMany({
      data: [
        { id: 'fresh', host: 'a', pid: 1, backend: 'wasm', heartbeatAt: new Date(now.getTime() - 1000) },
        { id: 'stale', host: 'b', pid: 2, heartbeatAt: new Date(now.getTime() - TRAINER_LIVENESS_MS - 1000) },
        { id: 'stopped', host: 'c', pid: 3, heartbeatAt: now, stoppedAt: now },
      ],
    });
    const health = await getHealth(t.db, now);
    expect(health.status).toBe('ok');
    expect(health.trainers.map((tr) => [tr.id, tr.alive])).toEqual([
      ['fresh', true],
      ['stale', false],
    ]);
    expect(health.lastTrainerHeartbeat).toBe(new Date(now.getTime() - 1000).toISOString());
  });

  it('reports a supervised trainer that is restarting: not live despite a fresh heartbeat, degraded', async () => {
    const now = new Date();
    const file = join(mkdtempSync(join(tmpdir(), 'trainhub-health-')), 'supervisor.json');
    const state = (trainer: object) =>
      writeFileSync(
        file,
        JSON.stringify({
          trainerId: 'fresh',
          services: { web: { state: 'running', pid: 10, restarts: 0, lastExit: null }, trainer },
        }),
      );
    state({
      state: 'crash-looping',
      pid: null,
      restarts: 3,
      nextStartAt: now.toISOString(),
      lastExit: { reason: 'killed by SIGKILL, likely out of memory', at: now.toISOString(), code: null },
    });
    const down = await getHealth(t.db, now, file);
    expect(down.status).toBe('degraded');
    expect(down.trainers.find((tr) => tr.id === 'fresh')?.alive).toBe(false);
    expect(down.supervisor?.processes.find((p) => p.name === 'trainer')).toMatchObject({
      state: 'crash-looping',
      restarts: 3,
      lastExit: { reason: 'killed by SIGKILL, likely out of memory' },
    });
    state({ state: 'running', pid: 11, restarts: 3, lastExit: null });
    const up = await getHealth(t.db, now, file);
    expect(up.status).toBe('ok');
    expect(up.trainers.find((tr) => tr.id === 'fresh')?.alive).toBe(true);
    // Unsupervised, or a state file that cannot be read: no supervisor section, health still answers.
    expect((await getHealth(t.db, now, join(file, 'missing'))).supervisor).toBeNull();
  });
});

describe('health with an unreachable database', () => {
  it('reports the database down instead of throwing', async () => {
    const db = createDb('postgres://nobody@127.0.0.1:9/none', { poolSize: 1 });
    const health = await getHealth(db);
    await db.$disconnect();
    expect(health.status).toBe('down');
    expect(health.database.ok).toBe(false);
    expect(health.database.error).toBeTruthy();
  });
});
