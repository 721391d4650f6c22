import { defineConfig } from 'tsup';

// The library as ESM + CJS with one bundled .d.ts each (the procedures' types are plain TypeScript generated
// into src/generated/api.ts); the CLI as one ESM file with commander and cli-progress bundled in. tRPC's
// client runtime is bundled too: @trpc/client declares TypeScript as a peer dependency, which npm would
// install (30 MB) into every project that installs this package. superjson (the wire format) is bundled with
// its one dependency, both ESM-only, so the CommonJS build needs no require() of ESM. An install brings only
// eventsource.
export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    noExternal: [/^@trpc\//, 'superjson', 'copy-anything'],
    dts: true,
    target: 'node20',
    sourcemap: false,
  },
  {
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    noExternal: ['commander', 'cli-progress', /^@trpc\//, 'superjson', 'copy-anything'],
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
    },
  },
]);
