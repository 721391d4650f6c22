import type { Db } from './client';
import type { Execution, Task, TrainingSession } from './generated/postgresql/client';

// The platform's hottest reads, in plain SQL: status polling in every API style (MLW individual task, Edge
// Impulse job status, the session style's monitor). Prisma's query layer costs 150-300 µs of CPU per query on
// top of the database's own work (bench:api, 2-core machine); these go through Prisma's `$queryRaw`
// instead (same connections and adapters, column types mapped by Prisma), which costs a fraction of that.
// Everything else uses the Prisma query API.
//
// Each function returns exactly what the equivalent Prisma query returns (`SELECT *` of one table, so a new
// column comes along by itself); `test/status-reads.test.ts` compares them with Prisma's reads on both
// databases. The SQL is the common subset of SQLite and PostgreSQL: double-quoted identifiers, LIMIT,
// scalar subqueries; enum values are written as literals (PostgreSQL compares an enum column with a text
// parameter only through a cast).

/** An execution with what deciding who may see it needs: its project's team and the deletion marks. */
export interface ExecutionWithScope {
  execution: Execution;
  project: { id: number; teamId: number; deletedAt: Date | null };
  task: { deletedAt: Date | null };
}

/** One EPOCH event's payload, oldest first in lists. */
export interface EpochEventRow {
  data: unknown;
  createdAt: Date;
}

type ScopeColumns = {
  scopeTeamId: number;
  scopeProjectDeletedAt: Date | null;
  scopeTaskDeletedAt: Date | null;
};

export async function readExecutionWithScope(
  db: Db,
  executionId: number,
): Promise<ExecutionWithScope | null> {
  const [row] = await db.$queryRaw<(Execution & ScopeColumns)[]>`
    SELECT e.*, p."teamId" AS "scopeTeamId", p."deletedAt" AS "scopeProjectDeletedAt",
           t."deletedAt" AS "scopeTaskDeletedAt"
    FROM "Execution" e
    JOIN "Project" p ON p."id" = e."projectId"
    JOIN "Task" t ON t."id" = e."taskId"
    WHERE e."id" = ${executionId}`;
  if (!row) return null;
  const { scopeTeamId, scopeProjectDeletedAt, scopeTaskDeletedAt, ...execution } = row;
  return {
    execution,
    project: { id: execution.projectId, teamId: scopeTeamId, deletedAt: scopeProjectDeletedAt },
    task: { deletedAt: scopeTaskDeletedAt },
  };
}

export async function readTask(db: Db, taskId: number): Promise<Task | null> {
  const [row] = await db.$queryRaw<Task[]>`SELECT * FROM "Task" WHERE "id" = ${taskId}`;
  return row ?? null;
}

/** The EPOCH events of an execution, oldest first. */
export function readEpochEvents(db: Db, executionId: number): Promise<EpochEventRow[]> {
  return db.$queryRaw<EpochEventRow[]>`
    SELECT "data", "createdAt" FROM "ExecutionEvent"
    WHERE "executionId" = ${executionId} AND "kind" = 'EPOCH'
    ORDER BY "seq"`;
}

export async function readSessionByKeyHash(db: Db, keyHash: string): Promise<TrainingSession | null> {
  const [row] = await db.$queryRaw<TrainingSession[]>`
    SELECT * FROM "TrainingSession" WHERE "keyHash" = ${keyHash}`;
  return row ?? null;
}

// The session's newest execution and its last epoch are read by the key hash too (not by the ids the
// session row holds), so the reads of a session can run at once.

/** The newest execution of the task of the session with this key hash. */
export async function readLatestExecutionBySessionKeyHash(
  db: Db,
  keyHash: string,
): Promise<Execution | null> {
  const [row] = await db.$queryRaw<Execution[]>`
    SELECT * FROM "Execution"
    WHERE "taskId" = (SELECT "taskId" FROM "TrainingSession" WHERE "keyHash" = ${keyHash})
    ORDER BY "id" DESC LIMIT 1`;
  return row ?? null;
}

/** The last EPOCH event of the newest execution of the session with this key hash. */
export async function readLastEpochBySessionKeyHash(db: Db, keyHash: string): Promise<EpochEventRow | null> {
  const [row] = await db.$queryRaw<EpochEventRow[]>`
    SELECT "data", "createdAt" FROM "ExecutionEvent"
    WHERE "kind" = 'EPOCH' AND "executionId" = (
      SELECT "id" FROM "Execution"
      WHERE "taskId" = (SELECT "taskId" FROM "TrainingSession" WHERE "keyHash" = ${keyHash})
      ORDER BY "id" DESC LIMIT 1)
    ORDER BY "seq" DESC LIMIT 1`;
  return row ?? null;
}
