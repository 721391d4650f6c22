import Database from 'better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/postgresql/client';
import { PrismaClient as SqlitePrismaClient } from './generated/sqlite/client';
import { providerOf, type DatabaseProvider } from './env';
import { sqliteAdapterFactory } from './sqlite-adapter';

/**
 * The Prisma client every package uses. Both generated clients come from one schema, so they have the same
 * API; the PostgreSQL one's type stands for both.
 */
export type Db = PrismaClient;

export interface CreateDbOptions {
  /** PostgreSQL pool size per process. */
  poolSize?: number;
  /** How long a SQLite writer waits for the lock (asynchronously) before failing, in ms. */
  busyTimeoutMs?: number;
}

// Which database a client talks to, for the few queries that differ (e.g. row locking). Kept on the client
// under a registry symbol, so it survives bundlers that load this module more than once.
const PROVIDER = Symbol.for('trainhub.db.provider');

export function dbProvider(db: Db): DatabaseProvider {
  const provider = (db as unknown as Record<symbol, DatabaseProvider | undefined>)[PROVIDER];
  if (!provider) throw new Error('dbProvider: this client was not made by createDb');
  return provider;
}

/**
 * Creates the Prisma client for `databaseUrl`: `file:` -> embedded SQLite (better-sqlite3, WAL mode, a
 * connection for transactions and one for everything else, lock waits that yield; see sqlite-adapter.ts),
 * `postgres://` -> PostgreSQL (pg pool).
 */
export function createDb(databaseUrl: string, options: CreateDbOptions = {}): Db {
  const provider = providerOf(databaseUrl);
  let db: Db;
  if (provider === 'sqlite') {
    const path = databaseUrl.slice('file:'.length);
    const timeout = options.busyTimeoutMs ?? 10_000;
    // WAL lets readers (the web app) and the writer (a trainer) work at once; it is a property of the
    // file, so setting it once here holds for every later connection.
    const handle = new Database(path, { timeout });
    handle.pragma('journal_mode = WAL');
    handle.close();
    db = new SqlitePrismaClient({
      adapter: sqliteAdapterFactory({ path, lockWaitMs: timeout }),
      // Starting a transaction may wait for the file's write lock held by another process: allow it as
      // long as any other lock wait.
      transactionOptions: { maxWait: timeout },
    }) as unknown as Db;
  } else {
    const adapter = new PrismaPg({ connectionString: databaseUrl, max: options.poolSize ?? 10 });
    db = new PrismaClient({ adapter });
  }
  Object.defineProperty(db, PROVIDER, { value: provider, enumerable: false });
  return db;
}
