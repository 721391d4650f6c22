// `npm run admin -- <command>`: the operator CLI (packages/api/src/admin/cli.ts), after making sure the
// dependencies are installed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bin, ensurePnpm, installDependencies, root } from './lib/setup.mjs';

if (!existsSync(bin('tsx')) || !existsSync(join(root, 'packages/db/src/generated'))) {
  const pnpm = ensurePnpm();
  installDependencies(pnpm);
  spawnSync(pnpm, ['exec', 'turbo', 'run', 'db:generate', '--output-logs=errors-only'], {
    cwd: root,
    stdio: 'inherit',
  });
}
const result = spawnSync(
  process.execPath,
  [bin('tsx'), join(root, 'packages/api/src/admin/cli.ts'), ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
