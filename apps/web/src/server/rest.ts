import 'server-only';
import type { RestDeps } from '@trainhub/api/rest';
import { getDb } from './db';
import { webEnv } from './env';
import { createRestDeps } from './rest-deps';

const holder = globalThis as typeof globalThis & { trainhubRestDeps?: RestDeps };

/** What the REST styles, tRPC and the socket server share in this process (all state lives in the DB). */
export function restDeps(): RestDeps {
  holder.trainhubRestDeps ??= createRestDeps(webEnv(), getDb());
  return holder.trainhubRestDeps;
}
