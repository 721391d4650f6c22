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

/**
 * An execution with what deciding who may see it needs (its project's team, the deletion marks) and what
 * presenting it needs of its task (name, definition).
 */
export interface ExecutionWithScope {
  execution: Execution;
  project: { id: number; teamId: number; deletedAt: Date | null };
  task: Pick<Task, 'id' | 'projectId' | 'name' | 'definition' | 'deletedAt'>;
}

/** One EPOCH event's payload, oldest first in lists. */
export interface EpochEventRow {
  data: unknown;
  createdAt: Date;
}

interface ScopeColumns {
  scopeTeamId: number;
  scopeProjectDeletedAt: Date | null;
  scopeTaskName: string;
  scopeTaskDefinition: Task['definition'];
  scopeTaskDeletedAt: Date | null;
}

export async function readExecutionWithScope(
  db: Db,
  executionId: number,
): Promise<ExecutionWithScope | null> {
  const [row] = await db.$queryRaw<(Execution & ScopeColumns)[]>`
    SELECT e.*, p."teamId" AS "scopeTeamId", p."deletedAt" AS "scopeProjectDeletedAt",
           t."name" AS "scopeTaskName", t."definition" AS "scopeTaskDefinition",
           t."deletedAt" AS "scopeTaskDeletedAt"
    FROM "Execution" e
    JOIN "Project" p ON p."id" = e."projectId"
    JOIN "Task" t ON t."id" = e."taskId"
    WHERE e."id" = ${executionId}`;
  if (!row) return null;
  const {
    scopeTeamId,
    scopeProjectDeletedAt,
    scopeTaskName,
    scopeTaskDefinition,
    scopeTaskDeletedAt,
    ...execution
  } = row;
  return {
    execution,
    project: { id: execution.projectId, teamId: scopeTeamId, deletedAt: scopeProjectDeletedAt },
    task: {
      id: execution.taskId,
      projectId: execution.projectId,
      name: scopeTaskName,
      definition: scopeTaskDefinition,
      deletedAt: scopeTaskDeletedAt,
    },
  };
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

/**
 * The newest execution of the task of the session with this key hash, and its last EPOCH event. Read by the
 * key hash (not by the task id the session row holds) so that it runs at once with readSessionByKeyHash.
 */
export async function readLatestExecutionBySessionKeyHash(
  db: Db,
  keyHash: string,
): Promise<{ execution: Execution; lastEpoch: EpochEventRow | null } | null> {
  const [row] = await db.$queryRaw<(Execution & { lastEpochData: unknown; lastEpochAt: Date | null })[]>`
    SELECT e.*, ev."data" AS "lastEpochData", ev."createdAt" AS "lastEpochAt"
    FROM "Execution" e
    LEFT JOIN "ExecutionEvent" ev ON ev."id" = (
      SELECT "id" FROM "ExecutionEvent"
      WHERE "executionId" = e."id" AND "kind" = 'EPOCH'
      ORDER BY "seq" DESC LIMIT 1)
    WHERE e."taskId" = (SELECT "taskId" FROM "TrainingSession" WHERE "keyHash" = ${keyHash})
    ORDER BY e."id" DESC LIMIT 1`;
  if (!row) return null;
  const { lastEpochData, lastEpochAt, ...execution } = row;
  return { execution, lastEpoch: lastEpochAt ? { data: lastEpochData, createdAt: lastEpochAt } : null };
}
