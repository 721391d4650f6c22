import { join } from 'node:path';
import { z } from 'zod';
import { parseEnv } from '../env';
import { LocalArtifactStore } from './local';
import type { ArtifactStore } from './types';

export * from './types';
export { LocalArtifactStore } from './local';

export const storageEnvSchema = z.object({
  ARTIFACT_STORE: z.enum(['local', 's3']).default('local'),
});

/**
 * The artifact store configured by the environment: a folder under DATA_DIR by default. (The S3-compatible
 * store is selected with ARTIFACT_STORE=s3.)
 */
export function createArtifactStore(dataDir: string, env: NodeJS.ProcessEnv = process.env): ArtifactStore {
  const { ARTIFACT_STORE } = parseEnv(storageEnvSchema, env, 'artifact store');
  if (ARTIFACT_STORE === 's3') {
    throw new Error('ARTIFACT_STORE=s3 is not available in this build yet; use the default local store');
  }
  return new LocalArtifactStore(join(dataDir, 'artifacts'));
}
