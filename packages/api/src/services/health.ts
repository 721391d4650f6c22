import type { Db } from '@trainhub/db';
import { dbProvider } from '@trainhub/db';

/** A trainer counts as live while its last heartbeat is younger than this. */
export const TRAINER_LIVENESS_MS = 20_000;

export interface TrainerHealth {
  id: string;
  host: string;
  backend: string | null;
  currentExecutionId: number | null;
  heartbeatAt: string;
  alive: boolean;
}

export interface Health {
  status: 'ok' | 'degraded' | 'down';
  database: { ok: boolean; provider: string; latencyMs: number; error?: string };
  lastTrainerHeartbeat: string | null;
  trainers: TrainerHealth[];
}

/**
 * What /api/health and the home page report: whether the database answers, and which trainers have sent a
 * heartbeat recently. `degraded` means the database is fine but no trainer is live (trainings would queue).
 */
export async function getHealth(db: Db, now = new Date()): Promise<Health> {
  const started = performance.now();
  const provider = dbProvider(db);
  try {
    const rows = await db.trainerStatus.findMany({
      where: { stoppedAt: null, heartbeatAt: { gte: new Date(now.getTime() - 24 * 3600_000) } },
      orderBy: { heartbeatAt: 'desc' },
      take: 50,
    });
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    const trainers = rows.map((row) => ({
      id: row.id,
      host: row.host,
      backend: row.backend,
      currentExecutionId: row.currentExecutionId,
      heartbeatAt: row.heartbeatAt.toISOString(),
      alive: now.getTime() - row.heartbeatAt.getTime() < TRAINER_LIVENESS_MS,
    }));
    return {
      status: trainers.some((t) => t.alive) ? 'ok' : 'degraded',
      database: { ok: true, provider, latencyMs },
      lastTrainerHeartbeat: trainers[0]?.heartbeatAt ?? null,
      trainers,
    };
  } catch (error) {
    return {
      status: 'down',
      database: {
        ok: false,
        provider,
        latencyMs: Math.round(performance.now() - started),
        error: firstLine(error),
      },
      lastTrainerHeartbeat: null,
      trainers: [],
    };
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return (
    text
      .split('\n')
      .find((line) => line.trim())
      ?.trim() ?? 'unknown error'
  );
}
