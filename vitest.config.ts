import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// One Vitest run covers every workspace package (one project each, named after the package, inheriting the
// settings below). The global setup starts a private PostgreSQL when TEST_DATABASE_URL_POSTGRES is not
// given, so database tests always run on both databases.
const packages = ['packages', 'apps']
  .flatMap((group) =>
    readdirSync(group)
      .map((name) => join(group, name))
      .filter((dir) => existsSync(join(dir, 'package.json'))),
  )
  .concat('prove');

export default defineConfig({
  test: {
    globalSetup: [join(import.meta.dirname, 'scripts/vitest-global-setup.ts')],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: packages.map((dir) => ({
      extends: true,
      test: {
        name: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name as string,
        root: dir,
        include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
      },
    })),
  },
});
