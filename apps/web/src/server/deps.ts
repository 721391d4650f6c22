import { loadJwtSecret } from '@trainhub/api';
import type { RestDeps } from '@trainhub/api/rest';
import { createArtifactStore, createDb, type Db } from '@trainhub/db';
import { webEnv, type WebEnv } from './config';

// What the web process shares: one Prisma client and one RestDeps (the REST styles, tRPC, the socket server
// and the UI's server code all use them; all state lives in the database). Kept on globalThis: the
// production server (server.ts) and Next's bundles are separate module graphs in one process, and dev-mode
// reloads would otherwise open new pools. No `server-only` guard, since server.ts imports this outside Next.
const holder = globalThis as typeof globalThis & { trainhubDb?: Db; trainhubRestDeps?: RestDeps };

/** The dependencies of the API styles built from a configuration and a database client. */
function createRestDeps(env: WebEnv, db: Db): RestDeps {
  return {
    db,
    store: createArtifactStore(env.dataDir),
    uploadLimitBytes: env.uploadLimitBytes,
    jsonBodyLimitBytes: env.jsonBodyLimitBytes,
    trustProxyHops: env.trustProxyHops,
    jwtSecret: loadJwtSecret(env.dataDir, env.jwtSecret),
    pretrainedModelsDir: env.pretrainedModelsDir,
  };
}

/** The process's one database client (opened on first use from DATABASE_URL). */
export function getDb(): Db {
  holder.trainhubDb ??= createDb(webEnv().databaseUrl);
  return holder.trainhubDb;
}

/** The process's RestDeps, over the same database client as getDb(). */
export function restDeps(): RestDeps {
  holder.trainhubRestDeps ??= createRestDeps(webEnv(), getDb());
  return holder.trainhubRestDeps;
}
