import { defineConfig } from 'tsup';

// The library as ESM + CJS with one bundled .d.ts each (the router's types are already plain TypeScript in
// src/generated/router.ts); the CLI as one ESM file with commander and cli-progress bundled in, so an install
// of the package brings only @trpc/client, @trpc/server and eventsource.
export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    target: 'node20',
    sourcemap: false,
  },
  {
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    noExternal: ['commander', 'cli-progress'],
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
    },
  },
]);
