import { dbProvider, Prisma, type Db, type Execution, type StopRequest } from '@trainhub/db';

// The durable queue: executions are rows; a trainer owns one while its lease (owner + expiry) is fresh.
// Claiming is atomic on both databases, so two trainers never run the same execution at once; an expired
// lease (a trainer that died) makes the execution claimable again, and the claimer resumes it.

export interface LeaseOptions {
  trainerId: string;
  leaseMs: number;
}

/**
 * Claims the most urgent due execution: QUEUED and due, or RUNNING with an expired lease. Highest priority
 * first, then oldest due time. Returns null when there is nothing to do.
 */
export async function claimNext(
  db: Db,
  { trainerId, leaseMs }: LeaseOptions,
  now = new Date(),
): Promise<Execution | null> {
  const leaseExpiresAt = new Date(now.getTime() + leaseMs);
  if (dbProvider(db) === 'postgresql') {
    // SKIP LOCKED: concurrent trainers each take a different row instead of queueing on the same one.
    const rows = await db.$queryRaw<{ id: number }[]>(Prisma.sql`
      UPDATE "Execution"
         SET "status" = 'RUNNING', "leaseOwner" = ${trainerId}, "leaseExpiresAt" = ${leaseExpiresAt},
             "attempt" = "attempt" + 1, "startedAt" = COALESCE("startedAt", ${now}), "updatedAt" = ${now}
       WHERE "id" = (
         SELECT "id" FROM "Execution"
          WHERE ("status" = 'QUEUED' AND "dueAt" <= ${now})
             OR ("status" = 'RUNNING' AND "leaseExpiresAt" < ${now})
          ORDER BY "priority" DESC, "dueAt" ASC
          LIMIT 1
          FOR UPDATE SKIP LOCKED)
      RETURNING "id"`);
    const id = rows[0]?.id;
    return id === undefined ? null : db.execution.findUnique({ where: { id } });
  }
  // SQLite has one writer at a time: pick a candidate, then take it with a single conditional UPDATE that
  // only matches while the row is still in the state we saw. Losing the race just means trying the next one.
  for (let tries = 0; tries < 5; tries++) {
    const candidate = await db.execution.findFirst({
      where: {
        OR: [
          { status: 'QUEUED', dueAt: { lte: now } },
          { status: 'RUNNING', leaseExpiresAt: { lt: now } },
        ],
      },
      orderBy: [{ priority: 'desc' }, { dueAt: 'asc' }],
      select: { id: true, status: true, attempt: true },
    });
    if (!candidate) return null;
    const { count } = await db.execution.updateMany({
      where: { id: candidate.id, status: candidate.status, attempt: candidate.attempt },
      data: {
        status: 'RUNNING',
        leaseOwner: trainerId,
        leaseExpiresAt,
        attempt: { increment: 1 },
        updatedAt: now,
      },
    });
    if (count === 1) {
      const claimed = await db.execution.findUniqueOrThrow({ where: { id: candidate.id } });
      if (!claimed.startedAt)
        return db.execution.update({ where: { id: claimed.id }, data: { startedAt: now } });
      return claimed;
    }
  }
  return null;
}

/**
 * Extends the lease and reads the stop request in one round trip. Returns null when the lease is no longer
 * ours (it expired and another trainer took over): the caller must abandon the run without writing.
 */
export async function renewLease(
  db: Db,
  executionId: number,
  { trainerId, leaseMs }: LeaseOptions,
): Promise<{ stopRequest: StopRequest | null } | null> {
  const { count } = await db.execution.updateMany({
    where: { id: executionId, leaseOwner: trainerId, status: 'RUNNING' },
    data: { leaseExpiresAt: new Date(Date.now() + leaseMs) },
  });
  if (count === 0) return null;
  const row = await db.execution.findUnique({ where: { id: executionId }, select: { stopRequest: true } });
  return row ? { stopRequest: row.stopRequest } : null;
}

export type FinalStatus = 'COMPLETED' | 'FAILED' | 'STOPPED' | 'CANCELLED';

export interface Finish {
  status: FinalStatus;
  message: string;
  error?: string | null;
  metrics?: Prisma.InputJsonValue;
  modelResourceId?: number | null;
}

/** Ends an execution we own; a no-op (returns false) when the lease was lost meanwhile. */
export async function finishExecution(
  db: Db,
  executionId: number,
  trainerId: string,
  finish: Finish,
): Promise<boolean> {
  const { count } = await db.execution.updateMany({
    where: { id: executionId, leaseOwner: trainerId, status: 'RUNNING' },
    data: {
      status: finish.status,
      message: finish.message,
      error: finish.error ?? null,
      ...(finish.metrics !== undefined ? { metrics: finish.metrics } : {}),
      ...(finish.modelResourceId !== undefined ? { modelResourceId: finish.modelResourceId } : {}),
      finishedAt: new Date(),
      leaseOwner: null,
      leaseExpiresAt: null,
    },
  });
  return count === 1;
}

/**
 * Gives an execution back to the queue; the next claimer resumes it from its checkpoint. A graceful
 * shutdown refunds the attempt (the run did not fail); an infrastructure failure keeps it and waits.
 */
export async function releaseExecution(
  db: Db,
  executionId: number,
  trainerId: string,
  options: { retryAt?: Date; refundAttempt?: boolean } = {},
): Promise<void> {
  await db.execution.updateMany({
    where: { id: executionId, leaseOwner: trainerId, status: 'RUNNING' },
    data: {
      status: 'QUEUED',
      leaseOwner: null,
      leaseExpiresAt: null,
      dueAt: options.retryAt ?? new Date(),
      message: 'Waiting for a trainer to resume it',
      ...(options.refundAttempt ? { attempt: { decrement: 1 } } : {}),
    },
  });
}

/** PostgreSQL channel a trigger notifies when an execution is queued (see the 0002 PostgreSQL migration). */
export const QUEUE_CHANNEL = 'trainhub_execution_queued';
