// `npm start`: sets up everything this machine lacks (pnpm, dependencies), builds, migrates the embedded
// SQLite database under DATA_DIR (or DATABASE_URL), then runs the web app and a trainer in the foreground.
import { ensureAptPackages, ensurePnpm, installDependencies, log, run } from './lib/setup.mjs';

const pnpm = ensurePnpm();
installDependencies(pnpm);
try {
  // OpenBLAS makes the training core's dense layers about twice as fast; without it training still runs.
  ensureAptPackages(['libopenblas0-pthread']);
} catch (error) {
  log(`${error.message}: training runs without OpenBLAS (slower dense layers)`);
}
log('building (turbo run build)');
run(pnpm, ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']);
await import('./serve.mjs');
