/**
 * One model of bench/train.ts trained with our trainer in its own process, so that the peak RSS it prints
 * belongs to that model alone (as torch_reference.py's, which train.ts also runs once per model).
 *
 * Usage: `node --import tsx bench/run-ours.ts '<json>'` with {model: 'mlp' | 'cnn' | 'conv1d', n, batch,
 * epochs, warmupEpochs, threads: OpenBLAS thread counts, measured in that order}. Env: BENCH_BACKEND.
 * Prints one JSON line: {model, backend, rates: {threads: samples/s, the mean of the epochs after the first
 * warmupEpochs}, epochRates: {threads: samples/s per epoch}, peakRssMiB}.
 */
import { initBackend, train, type BackendPreference } from '../src/index.ts';
import { loadBlas } from '../src/wasm-kernels/blas-matmul.ts';
import { BENCH_MODELS, mib, peakRss, synthetic, type BenchModel } from './common.ts';

const job = JSON.parse(process.argv[2] ?? '{}') as {
  model: BenchModel;
  n: number;
  batch: number;
  epochs: number;
  warmupEpochs: number;
  threads: number[];
};
const { spec, shape } = BENCH_MODELS[job.model];
const backendPref = (process.env.BENCH_BACKEND ?? 'wasm') as BackendPreference;
const backend = await initBackend(backendPref);
const blas = loadBlas();
const rates: Record<number, number> = {};
const epochRates: Record<number, number[]> = {};
// The data once, as torch_reference.py makes it once for all its configurations (the trainer scales it in
// place, so a later run rescales scaled data: the same work).
const data = synthetic(job.n, shape);
for (const t of job.threads) {
  // Without the addon every count is the same single wasm thread.
  blas?.setThreads(t);
  const r = await train({
    spec,
    data,
    preprocessing: { testSize: 0 },
    hyperparameters: { epochs: job.epochs, batchSize: job.batch, seed: 1 },
    backend: backendPref,
  });
  epochRates[t] = r.history.map((h) => h.samplesPerSecond);
  // The warm-up rule torch_reference.py applies too; a run shorter than it keeps its last epoch.
  const steady =
    epochRates[t].length > job.warmupEpochs ? epochRates[t].slice(job.warmupEpochs) : epochRates[t].slice(-1);
  rates[t] = steady.reduce((a, b) => a + b, 0) / steady.length;
}
console.log(
  JSON.stringify({ model: job.model, backend: backend.name, rates, epochRates, peakRssMiB: mib(peakRss()) }),
);
