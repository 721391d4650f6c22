import 'server-only';
import { loadJwtSecret } from '@trainhub/api';
import type { RestDeps } from '@trainhub/api/rest';
import { createArtifactStore } from '@trainhub/db';
import { getDb } from './db';
import { webEnv } from './env';

const holder = globalThis as typeof globalThis & { trainhubRestDeps?: RestDeps };

/** What the REST styles, tRPC and the socket server share in this process (all state lives in the DB). */
export function restDeps(): RestDeps {
  if (!holder.trainhubRestDeps) {
    const env = webEnv();
    holder.trainhubRestDeps = {
      db: getDb(),
      store: createArtifactStore(env.dataDir),
      uploadLimitBytes: env.uploadLimitBytes,
      jwtSecret: loadJwtSecret(env.dataDir, env.jwtSecret),
      pretrainedModelsDir: env.pretrainedModelsDir,
    };
  }
  return holder.trainhubRestDeps;
}
