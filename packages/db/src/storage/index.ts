import { join } from 'node:path';
import { z } from 'zod';
import { parseEnv } from '../env';
import { LocalArtifactStore } from './local';
import { S3ArtifactStore } from './s3';
import type { ArtifactStore } from './types';

export * from './types';
export { LocalArtifactStore } from './local';
export { S3ArtifactStore, type S3StoreOptions } from './s3';

const booleanFlag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const storageEnvSchema = z
  .object({
    ARTIFACT_STORE: z.enum(['local', 's3']).default('local'),
    S3_BUCKET: z.string().min(1).optional(),
    S3_PREFIX: z.string().optional(),
    S3_ENDPOINT: z.url().optional(),
    S3_REGION: z.string().min(1).default('us-east-1'),
    S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    S3_FORCE_PATH_STYLE: booleanFlag.optional(),
  })
  .refine((env) => env.ARTIFACT_STORE !== 's3' || env.S3_BUCKET, {
    path: ['S3_BUCKET'],
    message: 'is required when ARTIFACT_STORE=s3',
  });

/**
 * The artifact store configured by the environment: a folder under DATA_DIR by default, or an
 * S3-compatible bucket with ARTIFACT_STORE=s3 (credentials from S3_* or the SDK's default chain).
 */
export function createArtifactStore(dataDir: string, env: NodeJS.ProcessEnv = process.env): ArtifactStore {
  const config = parseEnv(storageEnvSchema, env, 'artifact store');
  if (config.ARTIFACT_STORE === 'local') return new LocalArtifactStore(join(dataDir, 'artifacts'));
  return new S3ArtifactStore({
    bucket: config.S3_BUCKET!,
    region: config.S3_REGION,
    forcePathStyle: config.S3_FORCE_PATH_STYLE ?? Boolean(config.S3_ENDPOINT),
    ...(config.S3_PREFIX ? { prefix: config.S3_PREFIX } : {}),
    ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
    ...(config.S3_ACCESS_KEY_ID ? { accessKeyId: config.S3_ACCESS_KEY_ID } : {}),
    ...(config.S3_SECRET_ACCESS_KEY ? { secretAccessKey: config.S3_SECRET_ACCESS_KEY } : {}),
  });
}
