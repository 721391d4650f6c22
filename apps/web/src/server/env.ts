import 'server-only';
import { databaseEnvSchema, parseEnv, resolveDatabaseConfig } from '@trainhub/db';
import { z } from 'zod';

const webEnvSchema = databaseEnvSchema.extend({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
});

let cached: (ReturnType<typeof resolveDatabaseConfig> & { port: number }) | undefined;

/** The web app's configuration, validated once; a bad value stops the server with a clear message. */
export function webEnv() {
  if (!cached) {
    const env = parseEnv(webEnvSchema, process.env, 'web');
    cached = { ...resolveDatabaseConfig(env), port: env.PORT };
  }
  return cached;
}
