import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { findRepoRoot, providerOf, type DatabaseProvider } from './env';

/**
 * Applies the hand-written SQL migrations in prisma/migrations/{sqlite,postgresql} in file-name order.
 * Each file runs in its own transaction and is recorded in `_migrations` with its checksum; an applied
 * file whose contents changed is refused, since the database no longer matches what the file says.
 * Concurrent runners are serialized (PostgreSQL advisory lock; SQLite's write lock via BEGIN IMMEDIATE).
 */
export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: number;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export function migrationsDir(provider: DatabaseProvider, root = findRepoRoot()): string {
  return join(root, 'prisma', 'migrations', provider);
}

export function readMigrations(dir: string): MigrationFile[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

interface AppliedRow {
  name: string;
  checksum: string;
}

function pendingMigrations(files: MigrationFile[], applied: AppliedRow[]): MigrationFile[] {
  const byName = new Map(applied.map((row) => [row.name, row.checksum]));
  for (const file of files) {
    const checksum = byName.get(file.name);
    if (checksum !== undefined && checksum !== file.checksum) {
      throw new MigrationError(
        `migration ${file.name} was changed after it was applied; add a new migration file instead of editing it`,
      );
    }
  }
  return files.filter((file) => !byName.has(file.name));
}

export async function migrate(databaseUrl: string, options: { dir?: string } = {}): Promise<MigrateResult> {
  const provider = providerOf(databaseUrl);
  const files = readMigrations(options.dir ?? migrationsDir(provider));
  return provider === 'sqlite' ? migrateSqlite(databaseUrl, files) : migratePostgres(databaseUrl, files);
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_migrations" (
  "name" TEXT NOT NULL PRIMARY KEY,
  "checksum" TEXT NOT NULL,
  "appliedAt" TEXT NOT NULL
)`;

function migrateSqlite(databaseUrl: string, files: MigrationFile[]): MigrateResult {
  const path = databaseUrl.slice('file:'.length);
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: 10_000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.exec(CREATE_TABLE);
    const applied: string[] = [];
    let alreadyApplied = 0;
    for (;;) {
      // Re-read under the write lock each time, so a concurrent runner never applies a file twice.
      db.exec('BEGIN IMMEDIATE');
      try {
        const rows = db.prepare('SELECT "name", "checksum" FROM "_migrations"').all() as AppliedRow[];
        const next = pendingMigrations(files, rows)[0];
        if (!next) {
          db.exec('COMMIT');
          alreadyApplied = rows.length - applied.length;
          break;
        }
        db.exec(next.sql);
        db.prepare('INSERT INTO "_migrations" ("name", "checksum", "appliedAt") VALUES (?, ?, ?)').run(
          next.name,
          next.checksum,
          new Date().toISOString(),
        );
        db.exec('COMMIT');
        applied.push(next.name);
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw wrap(error);
      }
    }
    return { applied, alreadyApplied };
  } finally {
    db.close();
  }
}

// An arbitrary constant: the advisory lock id that serializes migration runners on one PostgreSQL database.
const MIGRATION_LOCK_ID = 727_001;

async function migratePostgres(databaseUrl: string, files: MigrationFile[]): Promise<MigrateResult> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await client.query(CREATE_TABLE);
    const { rows } = await client.query<AppliedRow>('SELECT "name", "checksum" FROM "_migrations"');
    const pending = pendingMigrations(files, rows);
    for (const file of pending) {
      try {
        await client.query('BEGIN');
        await client.query(file.sql);
        await client.query(
          'INSERT INTO "_migrations" ("name", "checksum", "appliedAt") VALUES ($1, $2, $3)',
          [file.name, file.checksum, new Date().toISOString()],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw wrap(error, file.name);
      }
    }
    return { applied: pending.map((file) => file.name), alreadyApplied: rows.length };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await client.end();
  }
}

function wrap(error: unknown, file?: string): Error {
  if (error instanceof MigrationError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new MigrationError(file ? `migration ${file} failed: ${message}` : message);
}
