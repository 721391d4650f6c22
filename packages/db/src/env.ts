import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';

/** The repository root (the folder holding pnpm-workspace.yaml), found from `start` upwards. */
export function findRepoRoot(start = process.cwd()): string {
  // turbopackIgnore: the root is found at run time; nothing here should be traced into a bundle.
  let dir = resolve(/*turbopackIgnore: true*/ start);
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(/*turbopackIgnore: true*/ start);
    dir = parent;
  }
}

/**
 * Parses `env` with a zod schema and, on failure, throws one error listing every bad variable in words an
 * operator can act on (never the values of secrets).
 */
export function parseEnv<T extends z.ZodType>(
  schema: T,
  env: NodeJS.ProcessEnv,
  appName: string,
): z.infer<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
  throw new ConfigError(`${appName}: invalid configuration\n${lines.join('\n')}`);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const databaseUrl = z.string().refine((url) => /^(file:|postgres(ql)?:\/\/)/.test(url), {
  message: 'must start with file: (embedded SQLite) or postgres:// (PostgreSQL)',
});

/** The variables every process that talks to the database reads. */
export const databaseEnvSchema = z.object({
  DATA_DIR: z.string().min(1).default('./data'),
  // An empty value counts as unset, as shells and .env files commonly write it.
  DATABASE_URL: z.preprocess((value) => (value === '' ? undefined : value), databaseUrl.optional()),
});

export interface DatabaseConfig {
  /** Absolute folder for the embedded database and local artifacts. */
  dataDir: string;
  /** `file:/abs/path.db` or `postgres://...`. */
  databaseUrl: string;
}

/**
 * Resolves DATA_DIR and DATABASE_URL. Relative paths are taken from the repository root, so the web app
 * (which runs in apps/web) and the trainer agree on the same files. Without DATABASE_URL the embedded SQLite
 * database lives in DATA_DIR.
 */
export function resolveDatabaseConfig(env: z.infer<typeof databaseEnvSchema>): DatabaseConfig {
  const root = findRepoRoot();
  const dataDir = isAbsolute(env.DATA_DIR) ? env.DATA_DIR : resolve(root, env.DATA_DIR);
  let url = env.DATABASE_URL ?? `file:${join(dataDir, 'trainhub.db')}`;
  if (url.startsWith('file:')) {
    const path = url.slice('file:'.length);
    url = `file:${isAbsolute(path) ? path : resolve(root, path)}`;
  }
  return { dataDir, databaseUrl: url };
}

export function loadDatabaseConfig(
  env: NodeJS.ProcessEnv = process.env,
  appName = 'trainhub',
): DatabaseConfig {
  return resolveDatabaseConfig(parseEnv(databaseEnvSchema, env, appName));
}

export type DatabaseProvider = 'sqlite' | 'postgresql';

export function providerOf(databaseUrl: string): DatabaseProvider {
  return databaseUrl.startsWith('file:') ? 'sqlite' : 'postgresql';
}
