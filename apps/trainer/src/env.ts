import { hostname } from 'node:os';
import { databaseEnvSchema, parseEnv, resolveDatabaseConfig } from '@trainhub/db';
import { z } from 'zod';

const trainerEnvSchema = databaseEnvSchema.extend({
  TRAINER_ID: z.string().min(1).max(200).optional(),
  TRAINER_PREVIOUS_ID: z.string().min(1).max(200).optional(),
  TRAINER_PREVIOUS_EXIT: z.string().min(1).max(500).optional(),
  TRAINER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  TRAINER_HEARTBEAT_MS: z.coerce.number().int().min(200).max(60_000).default(5_000),
  TRAINER_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(250),
  TRAINER_LEASE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
  TRAINER_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(3),
  TRAINER_BACKEND: z.enum(['auto', 'tensorflow', 'tensorflow-gpu', 'wasm', 'cpu']).default('auto'),
  MODEL_STORE_DIR: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type TrainerConfig = ReturnType<typeof loadTrainerConfig>;

export function loadTrainerConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = parseEnv(trainerEnvSchema, env, 'trainer');
  return {
    ...resolveDatabaseConfig(parsed),
    trainerId: parsed.TRAINER_ID ?? `${hostname()}-${process.pid}`,
    /** A dead predecessor's id, set by a supervisor that restarts this trainer under a new id. */
    previousTrainerId: parsed.TRAINER_PREVIOUS_ID,
    /** How the predecessor died, as a supervisor saw it (e.g. "killed by SIGKILL, likely out of memory"). */
    previousExit: parsed.TRAINER_PREVIOUS_EXIT,
    concurrency: parsed.TRAINER_CONCURRENCY,
    heartbeatMs: parsed.TRAINER_HEARTBEAT_MS,
    pollMs: parsed.TRAINER_POLL_MS,
    leaseMs: parsed.TRAINER_LEASE_MS,
    maxAttempts: parsed.TRAINER_MAX_ATTEMPTS,
    backend: parsed.TRAINER_BACKEND,
    modelStore: parsed.MODEL_STORE_DIR,
    logLevel: parsed.LOG_LEVEL,
  };
}
