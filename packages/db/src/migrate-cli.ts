import { loadDatabaseConfig } from './env';
import { migrate } from './migrate';

// `pnpm db:migrate`: applies pending migrations to DATABASE_URL (or the embedded database in DATA_DIR).
try {
  const { databaseUrl } = loadDatabaseConfig(process.env, 'migrate');
  const result = await migrate(databaseUrl);
  const target = databaseUrl.startsWith('file:') ? databaseUrl : databaseUrl.replace(/\/\/[^@/]*@/, '//***@');
  console.log(
    result.applied.length
      ? `migrate: applied ${result.applied.join(', ')} to ${target}`
      : `migrate: ${target} is up to date (${result.alreadyApplied} migrations)`,
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
