import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import type {
  IsolationLevel,
  SqlDriverAdapter,
  SqlDriverAdapterFactory,
  SqlQuery,
  SqlResultSet,
  Transaction,
} from '@prisma/driver-adapter-utils';

// Embedded SQLite through Prisma, made safe for a server that answers many requests at once.
//
// The stock better-sqlite3 adapter keeps one connection for everything. A read issued while another
// request's interactive transaction is open runs inside that transaction (it sees rows that may still be
// rolled back, and an autocommit write joins the transaction and is rolled back with it); and a writer that
// finds the file locked by another process (a trainer) busy-waits synchronously, freezing the whole event
// loop for up to the busy timeout. Here:
// - transactions get a connection of their own and take the write lock as they begin (as BEGIN IMMEDIATE
//   would), so no statement inside one meets a locked file halfway;
// - everything else runs on a second connection, which only ever sees committed data;
// - the synchronous busy wait is a few milliseconds; past it the statement (or the transaction's start) is
//   retried after an asynchronous pause, so other requests go on while a writer waits for the lock;
// - compiled statements and their column lists are kept and reused (the stock adapter compiles every query
//   anew and asks for its columns each time: together more than half of a status read's database time).

export interface SqliteAdapterOptions {
  /** Path of the database file. */
  path: string;
  /** How long a writer may wait for the lock in all before the busy error reaches the caller, in ms. */
  lockWaitMs: number;
}

/** Longest synchronous wait inside SQLite before we yield and retry; keeps the event loop responsive. */
const SYNC_BUSY_WAIT_MS = 5;
const MAX_PAUSE_MS = 50;

// A write statement that changes nothing but takes the database's write lock; `_migrations` exists in every
// migrated database (packages/db/src/migrate.ts creates it first).
const TAKE_WRITE_LOCK: SqlQuery = { sql: 'DELETE FROM "_migrations" WHERE 0', args: [], argTypes: [] };

const isBusy = (error: unknown) =>
  (error as { cause?: { kind?: string } } | null)?.cause?.kind === 'SocketTimeout';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `attempt` until it does not fail with SQLITE_BUSY, pausing asynchronously between tries. */
async function whileBusy<T>(lockWaitMs: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + lockWaitMs;
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
      await pause(Math.min(MAX_PAUSE_MS, 1 + tries * 2));
    }
  }
}

const STATEMENT_CACHE_SIZE = 500;

interface CachedStatement {
  statement: BetterSqlite3.Statement<unknown[]>;
  columns?: BetterSqlite3.ColumnDefinition[];
}

/**
 * What the stock adapter gets from `prepare(sql)` and `.bind(args)`: a cached statement with the arguments
 * to pass to each call (better-sqlite3 would bind them to the statement for good). A class rather than an
 * object of closures: this runs for every query.
 */
class StatementView {
  constructor(
    private readonly cached: CachedStatement,
    private readonly args: unknown[] = [],
  ) {}

  get reader(): boolean {
    return this.cached.statement.reader;
  }

  bind(args: unknown[]): StatementView {
    return new StatementView(this.cached, args);
  }

  columns(): BetterSqlite3.ColumnDefinition[] {
    return (this.cached.columns ??= this.cached.statement.columns());
  }

  /** The stock adapter calls `raw().all()`; rows always come as arrays here. */
  raw(): this {
    return this;
  }

  all(): unknown[][] {
    const rows = this.cached.statement.raw(true).all(...this.args) as unknown[][];
    // A row of another width: the schema changed under this process (SQLite recompiled the statement).
    if (rows.length > 0 && this.cached.columns && rows[0]!.length !== this.cached.columns.length) {
      this.cached.columns = undefined;
    }
    return rows;
  }

  run(): BetterSqlite3.RunResult {
    return this.cached.statement.run(...this.args);
  }
}

/**
 * Makes `handle.prepare` reuse compiled statements and their column lists. The stock adapter compiles every
 * query anew and then asks for its columns, which better-sqlite3 builds anew on every call (30 us for an
 * execution row, more than running the statement). Should the schema change under a running process, a row
 * of another width drops the kept column list.
 */
function reuseStatements(handle: BetterSqlite3.Database): void {
  const compile = handle.prepare.bind(handle);
  const cache = new Map<string, CachedStatement>();
  handle.prepare = ((sql: string) => {
    let cached = cache.get(sql);
    if (!cached) {
      cached = { statement: compile(sql) };
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(sql, cached);
    }
    return new StatementView(cached);
  }) as unknown as typeof handle.prepare;
}

/** The better-sqlite3 handle inside a stock adapter (a public field in its JavaScript, untyped). */
const handleOf = (adapter: SqlDriverAdapter) =>
  (adapter as unknown as { client: BetterSqlite3.Database }).client;

class SqliteAdapter implements SqlDriverAdapter {
  readonly provider = 'sqlite' as const;
  readonly adapterName: string;

  constructor(
    private readonly statements: SqlDriverAdapter,
    private readonly transactions: SqlDriverAdapter,
    private readonly lockWaitMs: number,
  ) {
    this.adapterName = statements.adapterName;
  }

  queryRaw(query: SqlQuery): Promise<SqlResultSet> {
    return whileBusy(this.lockWaitMs, () => this.statements.queryRaw(query));
  }

  executeRaw(query: SqlQuery): Promise<number> {
    return whileBusy(this.lockWaitMs, () => this.statements.executeRaw(query));
  }

  executeScript(script: string): Promise<void> {
    return whileBusy(this.lockWaitMs, () => this.statements.executeScript(script));
  }

  startTransaction(isolationLevel?: IsolationLevel): Promise<Transaction> {
    return whileBusy(this.lockWaitMs, async () => {
      // The stock adapter serializes this process's transactions on its connection and issues BEGIN.
      const transaction = await this.transactions.startTransaction(isolationLevel);
      try {
        await transaction.executeRaw(TAKE_WRITE_LOCK);
        return transaction;
      } catch (error) {
        await transaction.executeRaw({ sql: 'ROLLBACK', args: [], argTypes: [] }).catch(() => undefined);
        await transaction.rollback();
        throw error;
      }
    });
  }

  async dispose(): Promise<void> {
    await Promise.all([this.statements.dispose(), this.transactions.dispose()]);
  }
}

/** The Prisma adapter factory for an embedded SQLite file (see the module comment). */
export function sqliteAdapterFactory(options: SqliteAdapterOptions): SqlDriverAdapterFactory {
  const stock = new PrismaBetterSqlite3({ url: options.path, timeout: SYNC_BUSY_WAIT_MS });
  return {
    provider: 'sqlite',
    adapterName: stock.adapterName,
    async connect() {
      const [statements, transactions] = await Promise.all([stock.connect(), stock.connect()]);
      reuseStatements(handleOf(statements));
      reuseStatements(handleOf(transactions));
      return new SqliteAdapter(statements, transactions, options.lockWaitMs);
    },
  };
}
