import { hostname } from 'node:os';
import type { Db } from '@trainhub/db';

export interface TrainerIdentity {
  id: string;
  concurrency: number;
  backend: string | null;
}

/** Registers this trainer (or revives its row after a restart) and records the first heartbeat. */
export async function registerTrainer(db: Db, trainer: TrainerIdentity): Promise<void> {
  const now = new Date();
  const fields = {
    host: hostname(),
    pid: process.pid,
    backend: trainer.backend,
    concurrency: trainer.concurrency,
    currentExecutionId: null,
    heartbeatAt: now,
    stoppedAt: null,
  };
  await db.trainerStatus.upsert({
    where: { id: trainer.id },
    create: { id: trainer.id, startedAt: now, ...fields },
    update: { startedAt: now, ...fields },
  });
}

export async function beat(db: Db, trainerId: string, currentExecutionId: number | null): Promise<void> {
  await db.trainerStatus.update({
    where: { id: trainerId },
    data: { heartbeatAt: new Date(), currentExecutionId },
  });
}

/** Marks the trainer stopped so health checks stop counting it at once, not after the liveness window. */
export async function markStopped(db: Db, trainerId: string): Promise<void> {
  await db.trainerStatus.update({
    where: { id: trainerId },
    data: { stoppedAt: new Date(), currentExecutionId: null },
  });
}
