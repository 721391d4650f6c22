// Bundles the trainer into dist/main.mjs (scripts/lib/bundle.mjs: workspace packages compiled in, npm
// dependencies external).
import { bundleNode } from '../../scripts/lib/bundle.mjs';

await bundleNode({ entry: 'src/main.ts', outfile: 'dist/main.mjs', sourcemap: true });
