import { defineConfig } from 'vitest/config';

// One Vitest run covers every workspace package (one project each). The global setup starts a private
// PostgreSQL when TEST_DATABASE_URL_POSTGRES is not given, so database tests always run on both databases.
export default defineConfig({
  test: {
    globalSetup: ['./scripts/vitest-global-setup.ts'],
    projects: ['packages/*', 'apps/*'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
