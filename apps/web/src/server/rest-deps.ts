import { loadJwtSecret } from '@trainhub/api';
import type { RestDeps } from '@trainhub/api/rest';
import { createArtifactStore, type Db } from '@trainhub/db';
import type { WebEnv } from './web-env';

/** What the REST styles, tRPC and the socket server share in one process (all state lives in the DB). */
export function createRestDeps(env: WebEnv, db: Db): RestDeps {
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
