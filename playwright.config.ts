import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from '@playwright/test';

// Browser tests against the production build, in Debian's chromium (Playwright cannot download its own
// browsers here). `npm test` sets E2E_PORT and E2E_DATA_DIR; run alone, a fresh ./.test-output is used.
const port = Number(process.env.E2E_PORT ?? 3100);
const dataDir = process.env.E2E_DATA_DIR ?? '.test-output/e2e-data';
// The UI flows start from a fresh install (the first account signs up without an invite): clear the data
// folder once, in the runner process (workers load this file too, while the server is running).
if (!process.env.TEST_WORKER_INDEX && !process.env.E2E_KEEP_DATA)
  rmSync(resolve(dataDir), { recursive: true, force: true });

export default defineConfig({
  testDir: 'e2e',
  outputDir: '.test-output/playwright-artifacts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  reporter: [['list'], ['json']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  // ui.spec.ts walks a fresh install (the first account signs up without an invite), so it runs before the
  // specs that create users of their own (the samples spec's admin-made user would close sign-up).
  projects: [
    { name: 'first-run', testMatch: /\/ui\.spec\.ts$/ },
    { name: 'after-first-run', testIgnore: /\/ui\.spec\.ts$/, dependencies: ['first-run'] },
  ],
  webServer: {
    command: 'node scripts/serve.mjs',
    url: `http://127.0.0.1:${port}/api/health`,
    reuseExistingServer: false,
    timeout: 120_000,
    env: { PORT: String(port), DATA_DIR: dataDir, TRAINER_HEARTBEAT_MS: '1000', DATABASE_URL: '' },
    gracefulShutdown: { signal: 'SIGTERM', timeout: 20_000 },
  },
});
