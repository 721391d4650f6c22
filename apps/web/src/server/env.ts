import 'server-only';
import { databaseEnvSchema, parseEnv, resolveDatabaseConfig } from '@trainhub/db';
import { z } from 'zod';

const webEnvSchema = databaseEnvSchema.extend({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** Largest accepted upload (bytes) in every API style; larger ones answer 413 in the style's shape. */
  UPLOAD_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 ** 3)
    .default(512 * 1024 ** 2),
  /** Signs Edge Impulse api-login and socket tokens; defaults to a secret kept in DATA_DIR/jwt-secret. */
  JWT_SECRET: z.string().min(32).optional(),
  /** Local folder of pretrained models (transfer learning, session import_model). */
  PRETRAINED_MODELS_DIR: z.string().min(1).optional(),
});

export interface WebEnv {
  dataDir: string;
  databaseUrl: string;
  port: number;
  uploadLimitBytes: number;
  jwtSecret: string | null;
  pretrainedModelsDir: string | null;
}

let cached: WebEnv | undefined;

/** The web app's configuration, validated once; a bad value stops the server with a clear message. */
export function webEnv(): WebEnv {
  if (!cached) {
    const env = parseEnv(webEnvSchema, process.env, 'web');
    cached = {
      ...resolveDatabaseConfig(env),
      port: env.PORT,
      uploadLimitBytes: env.UPLOAD_LIMIT_BYTES,
      jwtSecret: env.JWT_SECRET ?? null,
      pretrainedModelsDir: env.PRETRAINED_MODELS_DIR ?? null,
    };
  }
  return cached;
}
