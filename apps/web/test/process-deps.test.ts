import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The production web process is server.ts (run by tsx) plus Next's bundles: two module graphs in one process.
// Both take the configuration, the Prisma client and the RestDeps from src/server/config.ts and deps.ts, which
// keep them on globalThis, so the process opens one client (one connection pool), not one per module graph.

describe('one Prisma client per web process', () => {
  let dataDir: string;
  const saved = { DATA_DIR: process.env.DATA_DIR, DATABASE_URL: process.env.DATABASE_URL };
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'trainhub-web-deps-'));
    process.env.DATA_DIR = dataDir;
    process.env.DATABASE_URL = `file:${join(dataDir, 'web.db')}`;
  });
  afterAll(async () => {
    const holder = globalThis as { trainhubDb?: { $disconnect(): Promise<void> } };
    await holder.trainhubDb?.$disconnect();
    for (const key of ['trainhubDb', 'trainhubRestDeps', 'trainhubWebEnv']) delete (holder as never)[key];
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A second instance of a module (its own module record, as in another module graph). */
  const again = (path: string) =>
    import(/* @vite-ignore */ new URL(`${path}?graph=next`, import.meta.url).href);

  it('gives server.ts and Next the same client, RestDeps and configuration', async () => {
    // Two separate instances of each module, as server.ts and Next's bundle each load their own.
    const first = await import('../src/server/deps');
    const second = (await again('../src/server/deps.ts')) as typeof first;
    expect(second).not.toBe(first);
    const db = first.getDb();
    expect(second.getDb()).toBe(db);
    expect(first.restDeps().db).toBe(db);
    expect(second.restDeps()).toBe(first.restDeps());
    const config = await import('../src/server/config');
    const otherConfig = (await again('../src/server/config.ts')) as typeof config;
    expect(otherConfig.webEnv()).toBe(config.webEnv());
    expect(config.webEnv().dataDir).toBe(dataDir);
    // And it is a working client of DATABASE_URL's database.
    const [row] = await db.$queryRawUnsafe<{ one: number | bigint }[]>('SELECT 1 AS one');
    expect(Number(row!.one)).toBe(1);
  });
});
