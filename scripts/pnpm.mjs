// `node scripts/pnpm.mjs <args>`: runs the pnpm pinned in package.json's packageManager, installing it into
// .tools/ when neither it nor the same version on PATH is there, so the root package.json scripts work in a
// fresh clone with nothing on PATH but Node and npm. Its exit status is pnpm's; Ctrl-C and SIGTERM reach pnpm.
import { spawn } from 'node:child_process';
import { ensurePnpm } from './lib/setup.mjs';

const pnpm = ensurePnpm();
const child = spawn(pnpm, process.argv.slice(2), { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else process.exit(code ?? 1);
});
