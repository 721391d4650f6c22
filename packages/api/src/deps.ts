import type { ArtifactStore, Db } from '@trainhub/db';

/** What every API handler (REST styles and tRPC) needs from the process that serves it. */
export interface RestDeps {
  db: Db;
  store: ArtifactStore;
  /** Largest accepted upload in bytes (413 in the style's shape beyond it). */
  uploadLimitBytes: number;
  /** Signs Edge Impulse api-login and socket tokens. */
  jwtSecret: string;
  /** Local folder of pretrained models (Edge Impulse transfer layers, session import_model). */
  pretrainedModelsDir?: string | null;
  /** Largest JSON request body in bytes (REST and tRPC; 413 in the style's shape beyond it). Default 1 MiB. */
  jsonBodyLimitBytes?: number;
  /** Reverse proxies trusted for X-Forwarded-For (TRUST_PROXY; 0 or unset: none, the socket address counts). */
  trustProxyHops?: number;
}

/** Default largest JSON body accepted, in bytes (RestDeps.jsonBodyLimitBytes; uploads go through multipart). */
export const JSON_BODY_LIMIT = 1024 * 1024;
