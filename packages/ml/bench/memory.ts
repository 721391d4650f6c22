/**
 * Peak memory while training on 100k x 784 float32 features (run in its own process by bench/train.ts so
 * the peak RSS belongs to this run alone). Prints one JSON line.
 */
import { initBackend, train } from '../src/index.ts';
import { MLP_SPEC, peakRss, synthetic } from './common.ts';

const n = Number(process.env.BENCH_MEMORY_ROWS ?? 100_000);
const backend = await initBackend((process.env.BENCH_BACKEND as 'wasm' | 'cpu' | undefined) ?? 'wasm');
const baseline = process.memoryUsage().rss;
const data = synthetic(n, [784]);
const rawBytes = data.features.byteLength;
const t0 = performance.now();
const r = await train({
  spec: MLP_SPEC,
  data,
  preprocessing: { scaling: { method: 'standardize', per: 'global' }, testSize: 0.1 },
  hyperparameters: { epochs: 1, batchSize: 128, seed: 1 },
  backend: backend.name as 'wasm',
});
const peak = peakRss();
console.log(
  JSON.stringify({
    rows: n,
    rawBytes,
    baselineRss: baseline,
    peakRss: peak,
    ratioAboveBaseline: (peak - baseline) / rawBytes,
    ratioTotal: peak / rawBytes,
    seconds: (performance.now() - t0) / 1000,
    status: r.status,
    accuracy: r.status === 'cancelled' ? null : r.metrics.classification?.accuracy,
  }),
);
