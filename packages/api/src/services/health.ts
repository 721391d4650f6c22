import { readFile } from 'node:fs/promises';
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

/** One process the embedded default's supervisor (`npm start`, scripts/serve.mjs) runs and restarts. */
export interface SupervisedProcess {
  name: string;
  /** `restarting`: died, restarts after a backoff; `crash-looping`: died quickly 3 times or more in a row. */
  state: 'starting' | 'running' | 'restarting' | 'crash-looping' | 'stopped';
  pid: number | null;
  restarts: number;
  /** ISO time of the next start while restarting, else null. */
  nextStartAt: string | null;
  /** How it last died, e.g. "killed by SIGKILL, likely out of memory"; null if it never did. */
  lastExit: { reason: string; at: string } | null;
}

export interface Health {
  status: 'ok' | 'degraded' | 'down';
  database: { ok: boolean; provider: string; latencyMs: number; error?: string };
  lastTrainerHeartbeat: string | null;
  trainers: TrainerHealth[];
  /** The supervisor's view of its processes under `npm start`; null when the web app runs unsupervised. */
  supervisor: { trainerId: string | null; processes: SupervisedProcess[] } | null;
}

/**
 * Reads the state file scripts/serve.mjs keeps (its path is in TRAINHUB_SUPERVISOR_STATE, set for the web
 * app it starts). Null when there is none or it cannot be read: health never fails because of it.
 */
export async function readSupervisorState(
  file: string | undefined = process.env.TRAINHUB_SUPERVISOR_STATE,
): Promise<Health['supervisor']> {
  if (!file) return null;
  try {
    const document = JSON.parse(await readFile(file, 'utf8')) as {
      trainerId?: unknown;
      services?: Record<
        string,
        Partial<SupervisedProcess> & { lastExit?: { reason?: unknown; at?: unknown } }
      >;
    };
    const processes = Object.entries(document.services ?? {}).map(([name, s]) => ({
      name,
      state: s.state ?? 'running',
      pid: typeof s.pid === 'number' ? s.pid : null,
      restarts: typeof s.restarts === 'number' ? s.restarts : 0,
      nextStartAt: typeof s.nextStartAt === 'string' ? s.nextStartAt : null,
      lastExit:
        s.lastExit && typeof s.lastExit.reason === 'string'
          ? { reason: s.lastExit.reason, at: String(s.lastExit.at) }
          : null,
    }));
    return { trainerId: typeof document.trainerId === 'string' ? document.trainerId : null, processes };
  } catch {
    return null;
  }
}

/**
 * What /api/health and the home page report: whether the database answers, which trainers have sent a
 * heartbeat recently and, under `npm start`, the supervisor's processes. `degraded` means the database is
 * fine but no trainer is live (trainings would queue), or a supervised process is restarting or
 * crash-looping; a supervised trainer that is down is not counted live even while its last heartbeat is
 * recent.
 */
export async function getHealth(
  db: Db,
  now = new Date(),
  supervisorStateFile: string | undefined = process.env.TRAINHUB_SUPERVISOR_STATE,
): Promise<Health> {
  const started = performance.now();
  const provider = dbProvider(db);
  const supervisor = await readSupervisorState(supervisorStateFile);
  const supervisedTrainer = supervisor?.processes.find((p) => p.name === 'trainer');
  const trainerDown =
    supervisedTrainer !== undefined && supervisedTrainer.state !== 'running'
      ? supervisor?.trainerId
      : undefined;
  const processDown = supervisor?.processes.some(
    (p) => p.state === 'restarting' || p.state === 'crash-looping',
  );
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
      alive: now.getTime() - row.heartbeatAt.getTime() < TRAINER_LIVENESS_MS && row.id !== trainerDown,
    }));
    return {
      status: trainers.some((t) => t.alive) && !processDown ? 'ok' : 'degraded',
      database: { ok: true, provider, latencyMs },
      lastTrainerHeartbeat: trainers[0]?.heartbeatAt ?? null,
      trainers,
      supervisor,
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
      supervisor,
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
