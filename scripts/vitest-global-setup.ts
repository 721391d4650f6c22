// @ts-expect-error plain ESM helper shared with the npm scripts
import { startPostgres } from './lib/postgres.mjs';

export default async function setup(): Promise<(() => void) | undefined> {
  if (process.env.TEST_DATABASE_URL_POSTGRES) return undefined;
  const server = (await startPostgres()) as { url: string; stop(): void };
  process.env.TEST_DATABASE_URL_POSTGRES = server.url;
  return () => server.stop();
}
