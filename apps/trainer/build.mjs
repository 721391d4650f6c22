// Bundles the trainer into dist/main.mjs. Workspace packages (TypeScript source) are compiled into the
// bundle; every npm dependency stays external and loads from node_modules, so native modules and
// optional backends (tfjs-node-gpu) resolve at run time exactly as installed.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/main.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
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
