import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createDb, type Db } from './client';
import type { DatabaseProvider } from './env';
import { migrate } from './migrate';

/**
 * Fresh, migrated databases for integration tests: a temporary SQLite file, or a new database on the
 * PostgreSQL server named by TEST_DATABASE_URL_POSTGRES (Vitest's global setup starts a private one).
 */
export interface TestDatabase {
  provider: DatabaseProvider;
  url: string;
  db: Db;
  /** Disconnects and deletes the database. */
  drop(): Promise<void>;
}

export const testProviders: DatabaseProvider[] = ['sqlite', 'postgresql'];

export async function createTestDatabase(provider: DatabaseProvider): Promise<TestDatabase> {
  const url = provider === 'sqlite' ? sqliteUrl() : await createPostgresDatabase();
  await migrate(url);
  const db = createDb(url, { poolSize: 5 });
  return {
    provider,
    url,
    db,
    async drop() {
      await db.$disconnect();
      if (provider === 'sqlite')
        rmSync(url.slice('file:'.length).replace(/\/[^/]+$/, ''), { recursive: true, force: true });
      else await dropPostgresDatabase(url);
    },
  };
}

function sqliteUrl(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trainhub-sqlite-'));
  return `file:${join(dir, 'test.db')}`;
}

function adminUrl(): string {
  const url = process.env.TEST_DATABASE_URL_POSTGRES;
  if (!url) {
    throw new Error(
      'TEST_DATABASE_URL_POSTGRES is not set: run the tests with `npm test` (it starts a private PostgreSQL) ' +
        'or point it at a server where the user may create databases',
    );
  }
  return url;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function createPostgresDatabase(): Promise<string> {
  const name = `test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropPostgresDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
