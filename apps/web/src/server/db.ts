import 'server-only';
import { createDb, type Db } from '@trainhub/db';
import { webEnv } from './env';

// One client per server process (kept on globalThis so dev-mode reloads do not open new pools).
const holder = globalThis as typeof globalThis & { trainhubDb?: Db };

export function getDb(): Db {
  holder.trainhubDb ??= createDb(webEnv().databaseUrl);
  return holder.trainhubDb;
}
