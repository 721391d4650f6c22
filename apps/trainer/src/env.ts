import { hostname } from 'node:os';
import { databaseEnvSchema, parseEnv, resolveDatabaseConfig } from '@trainhub/db';
import { z } from 'zod';

const trainerEnvSchema = databaseEnvSchema.extend({
  TRAINER_ID: z.string().min(1).max(200).optional(),
  TRAINER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  TRAINER_HEARTBEAT_MS: z.coerce.number().int().min(200).max(60_000).default(5_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type TrainerConfig = ReturnType<typeof loadTrainerConfig>;

export function loadTrainerConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = parseEnv(trainerEnvSchema, env, 'trainer');
  return {
    ...resolveDatabaseConfig(parsed),
    trainerId: parsed.TRAINER_ID ?? `${hostname()}-${process.pid}`,
    concurrency: parsed.TRAINER_CONCURRENCY,
    heartbeatMs: parsed.TRAINER_HEARTBEAT_MS,
    logLevel: parsed.LOG_LEVEL,
  };
}
