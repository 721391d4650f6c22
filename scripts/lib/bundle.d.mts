/** scripts/lib/bundle.mjs: bundles a Node entry point as the trainer ships (npm dependencies external). */
export function bundleNode(options: { entry: string; outfile: string; sourcemap?: boolean }): Promise<void>;
