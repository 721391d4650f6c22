// The web app's configuration. No `server-only` guard: the production server (server.ts) reads it outside
// Next, and both read the one parse (webEnv()).

import { parseTrustProxy } from '@trainhub/api';
import { databaseEnvSchema, parseEnv, resolveDatabaseConfig } from '@trainhub/db';
import { z } from 'zod';

/** An optional variable where an empty value counts as unset. */
const unsetIfEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const webEnvSchema = databaseEnvSchema.extend({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** Largest accepted upload (bytes) in every API style; larger ones answer 413 in the style's shape. */
  UPLOAD_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 ** 3)
    .default(512 * 1024 ** 2),
  /** Largest JSON request body (bytes) of the REST styles and tRPC; larger ones answer 413 in the style's shape. */
  JSON_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 ** 3)
    .default(1024 ** 2),
  /** Reverse proxies in front of the web app whose X-Forwarded-For is believed: false (default), true or N. */
  TRUST_PROXY: z
    .string()
    .optional()
    .refine((v) => {
      try {
        parseTrustProxy(v);
        return true;
      } catch {
        return false;
      }
    }, 'must be true, false or a number of proxy hops')
    .transform((v) => parseTrustProxy(v)),
  /** Signs Edge Impulse api-login and socket tokens; defaults to a secret kept in DATA_DIR/jwt-secret. */
  JWT_SECRET: z.string().min(32).optional(),
  /** Local folder of pretrained models (transfer learning, session import_model). */
  PRETRAINED_MODELS_DIR: z.string().min(1).optional(),
  /** Encrypts the web UI's session cookies; defaults to a secret kept in DATA_DIR/nextauth-secret. */
  NEXTAUTH_SECRET: unsetIfEmpty(z.string().min(32)),
  /** The public URL of the web app (sign-in callbacks); defaults to http://localhost:$PORT. */
  NEXTAUTH_URL: unsetIfEmpty(z.url()),
  /** Let anyone create an account; otherwise only the first account of a fresh install and invite links. */
  ALLOW_SIGNUP: z
    .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
    .optional()
    .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  /** OAuth sign-in: each provider switches on when both its variables are set. */
  GITHUB_ID: unsetIfEmpty(z.string().min(1)),
  GITHUB_SECRET: unsetIfEmpty(z.string().min(1)),
  GOOGLE_ID: unsetIfEmpty(z.string().min(1)),
  GOOGLE_SECRET: unsetIfEmpty(z.string().min(1)),
});

export interface WebEnv {
  dataDir: string;
  databaseUrl: string;
  port: number;
  uploadLimitBytes: number;
  jsonBodyLimitBytes: number;
  /** X-Forwarded-For hops trusted (TRUST_PROXY); 0: the connection's address is the client's. */
  trustProxyHops: number;
  jwtSecret: string | null;
  pretrainedModelsDir: string | null;
  auth: {
    secret: string | null;
    url: string;
    allowSignup: boolean;
    github: { clientId: string; clientSecret: string } | null;
    google: { clientId: string; clientSecret: string } | null;
  };
}

/** Parses the web app's configuration from `processEnv`. A bad value throws a ConfigError naming the variable. */
export function loadWebEnv(processEnv: NodeJS.ProcessEnv = process.env): WebEnv {
  const env = parseEnv(webEnvSchema, processEnv, 'web');
  return {
    ...resolveDatabaseConfig(env),
    port: env.PORT,
    uploadLimitBytes: env.UPLOAD_LIMIT_BYTES,
    jsonBodyLimitBytes: env.JSON_BODY_LIMIT_BYTES,
    trustProxyHops: env.TRUST_PROXY,
    jwtSecret: env.JWT_SECRET ?? null,
    pretrainedModelsDir: env.PRETRAINED_MODELS_DIR ?? null,
    auth: {
      secret: env.NEXTAUTH_SECRET ?? null,
      url: env.NEXTAUTH_URL ?? `http://localhost:${env.PORT}`,
      allowSignup: env.ALLOW_SIGNUP,
      github:
        env.GITHUB_ID && env.GITHUB_SECRET
          ? { clientId: env.GITHUB_ID, clientSecret: env.GITHUB_SECRET }
          : null,
      google:
        env.GOOGLE_ID && env.GOOGLE_SECRET
          ? { clientId: env.GOOGLE_ID, clientSecret: env.GOOGLE_SECRET }
          : null,
    },
  };
}

const holder = globalThis as typeof globalThis & { trainhubWebEnv?: WebEnv };

/**
 * The process's configuration, parsed once (kept on globalThis: server.ts and Next's bundles are separate
 * module graphs in one process). A bad value stops the server with a message naming the variable.
 */
export function webEnv(): WebEnv {
  holder.trainhubWebEnv ??= loadWebEnv();
  return holder.trainhubWebEnv;
}
