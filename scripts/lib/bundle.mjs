// Bundles a Node entry point as the trainer ships: the workspace packages (TypeScript source) compiled in,
// every npm dependency external (loaded from node_modules at run time, so native modules and optional
// backends such as tfjs-node-gpu resolve exactly as installed). Used by apps/trainer/build.mjs and
// packages/ml/bench/train.ts (which runs our side of the benchmark as the trainer runs).
import { build } from 'esbuild';

/**
 * @param {{ entry: string, outfile: string, sourcemap?: boolean }} options paths relative to the cwd
 * @returns {Promise<void>} rejects with esbuild's errors
 */
export async function bundleNode({ entry, outfile, sourcemap = false }) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap,
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    plugins: [
      {
        name: 'external-npm-packages',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@trainhub/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
}
