/**
 * Training benchmark (`npm run bench:train` at the root, or `pnpm --filter @trainhub/ml bench`).
 *
 * Trains, on synthetic data, an MLP 784-256-128-10 (batch 128), a CNN 28x28x1
 * conv16-pool-conv32-pool-dense10 (batch 64) and an Edge Impulse-sized 1D-conv time-series classifier
 * (650 features as 50x13, conv1d 8 + pool, conv1d 16 + pool, dense10; batch 32) with our trainer, at the
 * default OpenBLAS thread count and at 1 thread, and in the same run the same models in PyTorch CPU
 * (Debian python3-torch, run with /usr/bin/python3; installed with apt when missing).
 *
 * Like with like:
 * - Threads. Debian's torch does its GEMMs in OpenBLAS, whose threads torch.set_num_threads does not set,
 *   so torch_reference.py measures PyTorch untouched ("default": its OpenMP count + OpenBLAS's default)
 *   and, for t in {1, all cores}, OpenMP t + OpenBLAS t, so that "t threads" means t cores on both sides,
 *   and OpenMP on all cores with OpenBLAS on 1 (no oversubscription).
 *   "PyTorch's fastest" is the best of all its configurations; "1 thread vs 1 thread" is ours at 1 OpenBLAS
 *   thread vs PyTorch at OpenMP 1 + OpenBLAS 1.
 * - Warm-up. Both sides train EPOCHS epochs and report the mean samples/s of the epochs after
 *   WARMUP_EPOCHS (our JS is still tiering up in epoch 2; PyTorch is warm after a few steps).
 * - Memory. Each model trains in its own processes on each side (bench/run-ours.ts: one per thread count,
 *   so neither inherits the other's JIT warm-up; torch_reference.py: one for all its configurations); the
 *   peak RSS of those processes is compared per model. Ours runs
 *   as the production trainer does: bundled by esbuild (into bench/.build/) and run by plain node.
 *
 * Prints samples/s per side and configuration, the ratios ours/PyTorch (default vs PyTorch's fastest,
 * 1 thread vs 1 thread; median over rounds, each round runs both sides back to back per model), peak RSS
 * per model, the per-step time split (forward, backward, optimizer, data), and the peak memory of a
 * 100k x 784 training run relative to the raw float32 data. Timings on shared machines are noisy:
 * compare the ratios of one run.
 *
 * Env: BENCH_BACKEND (default wasm), BENCH_ROUNDS (default 3), BENCH_QUICK=1 (smaller runs),
 * BENCH_SKIP_TORCH=1, BENCH_SKIP_MEMORY=1, BENCH_SKIP_SPLIT=1.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../src/index.ts';
import { loadBlas } from '../src/wasm-kernels/blas-matmul.ts';
import { BENCH_MODELS, mib, type BenchModel } from './common.ts';
import { formatSplit, stepSplit } from './profile.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const backendPref = (process.env.BENCH_BACKEND ?? 'wasm') as 'wasm' | 'cpu' | 'auto' | 'tensorflow';
const PY = '/usr/bin/python3';

// One warm-up rule for both sides: V8 is still tiering up our JS in epoch 2 (64 MLP steps), PyTorch is
// warm after a few steps, so both run EPOCHS and report the mean of the epochs after WARMUP_EPOCHS.
const EPOCHS = 4;
const WARMUP_EPOCHS = 2;
const run = { epochs: EPOCHS, warmupEpochs: WARMUP_EPOCHS };
const cfg: Record<BenchModel, { n: number; batch: number; epochs: number; warmupEpochs: number }> = {
  mlp: { n: quick ? 4096 : 8192, batch: 128, ...run },
  cnn: { n: quick ? 1024 : 2048, batch: 64, ...run },
  conv1d: { n: quick ? 2048 : 4096, batch: 32, ...run },
};
type Model = BenchModel;
const MODELS = BENCH_MODELS;

function ensureTorch(): boolean {
  const ok = () => spawnSync(PY, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  if (ok()) return true;
  console.log(
    'PyTorch missing for /usr/bin/python3: installing python3-torch and libopenblas0-pthread with apt-get ...',
  );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args: string[]) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;
  if (!apt(['install', '-y', 'python3-torch', 'libopenblas0-pthread'])) {
    apt(['update']);
    apt(['install', '-y', 'python3-torch', 'libopenblas0-pthread']);
  }
  return ok();
}

const backend = await initBackend(backendPref);
console.log(
  `Backend: ${backend.name} (${backend.provider}), tfjs ${backend.tfjsVersion}, node ${process.version}`,
);
const rounds = Number(process.env.BENCH_ROUNDS ?? (quick ? 1 : 3));
const withTorch = process.env.BENCH_SKIP_TORCH !== '1' && ensureTorch();
if (process.env.BENCH_SKIP_TORCH !== '1' && !withTorch)
  console.log('PyTorch reference unavailable (could not install python3-torch); no ratios');

/** What torch_reference.py prints for one model (see its docstring). */
type TorchResult = {
  torch: string;
  defaultThreads: number;
  defaultBlasThreads: number | null;
  blas: { settable: boolean; note: string };
  configs: { name: string; omp: number; blas: number | null }[];
  rates: Record<string, Record<string, number>>;
  peakRssMiB: number;
};
/** What run-ours.ts prints: samples/s per OpenBLAS thread count. */
type OursResult = { rates: Record<string, number>; peakRssMiB: number };

/** Runs `args` in a child process and parses the last line of its output as JSON. */
function child<T>(file: string, args: string[]): T {
  const r = spawnSync(file, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const line = r.stdout?.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !line.startsWith('{'))
    throw new Error(
      `${path.basename(args.at(-2) ?? file)} failed (${r.status}): ${(r.stderr ?? '').slice(-2000)}`,
    );
  return JSON.parse(line) as T;
}
const torchRun = (model: Model) =>
  child<TorchResult>(PY, [
    path.join(here, 'torch_reference.py'),
    JSON.stringify({ ...cfg, models: [model] }),
  ]);
// Ours at OpenBLAS's default thread count and at 1 thread (the addon's setting; without the addon both
// are the same one wasm thread).
const blas = loadBlas();
const defaultThreads = blas?.setThreads(0) ?? 1;
const ourThreads = [...new Set([defaultThreads, 1])];
/**
 * How to start run-ours.ts: bundled as the trainer ships (scripts/lib/bundle.mjs, as apps/trainer/build.mjs)
 * and run by plain node, as the production trainer runs; under tsx its
 * loader thread and transpile caches would add ~70 MiB to our peak RSS. Falls back to tsx, and says so.
 */
async function oursCommand(): Promise<string[]> {
  const outfile = path.join(here, '.build', 'run-ours.mjs');
  try {
    const { bundleNode } = await import('../../../scripts/lib/bundle.mjs');
    await bundleNode({ entry: path.join(here, 'run-ours.ts'), outfile });
    return [outfile];
  } catch (error) {
    console.log(`esbuild failed (${(error as Error).message}): ours runs under tsx; its RSS includes tsx's`);
    return ['--import', 'tsx', path.join(here, 'run-ours.ts')];
  }
}
const oursArgs = await oursCommand();
/**
 * Ours for one model: each thread count in a fresh process, so that neither starts with the other's JIT
 * warm-up (in one process the second count measured faster: it inherited the first one's tiered-up code).
 * Peak RSS: the largest of those processes.
 */
const oursRun = (model: Model): OursResult => {
  const runs = ourThreads.map((t) =>
    child<OursResult>(process.execPath, [
      ...oursArgs,
      JSON.stringify({ model, ...cfg[model], threads: [t] }),
    ]),
  );
  return {
    rates: Object.assign({}, ...runs.map((r) => r.rates)) as Record<string, number>,
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
  };
};

const best: Record<string, number> = {};
const keep = (k: string, v: number) => (best[k] = Math.max(best[k] ?? 0, v));
const ratios: Record<string, number[]> = {};
const addRatio = (k: string, v: number) => (ratios[k] ??= []).push(v);
const fastestConfig: Record<Model, string[]> = { mlp: [], cnn: [], conv1d: [] };
let torchInfo: TorchResult | null = null;
console.log(
  `Rates: the mean of epochs ${WARMUP_EPOCHS + 1}-${EPOCHS} of ${EPOCHS} (the first ${WARMUP_EPOCHS} are warm-up), ` +
    `both sides; each model trains in its own process on each side (peak RSS per model)`,
);
// Each round runs ours and PyTorch back to back per model, so a ratio compares runs made under the same
// load; the median ratio over rounds is reported, with the best rate of each side.
for (let round = 1; round <= rounds; round++) {
  for (const model of Object.keys(MODELS) as Model[]) {
    const o = oursRun(model);
    const rate = (t: number) => o.rates[t]!;
    for (const t of ourThreads) keep(`${model}@${t}`, rate(t));
    keep(`rss_${model}`, o.peakRssMiB);
    if (!withTorch) continue;
    torchInfo = torchRun(model);
    const theirs = torchInfo.rates[model]!;
    for (const [conf, v] of Object.entries(theirs)) keep(`torch_${model}_${conf}`, v);
    keep(`torch_rss_${model}`, torchInfo.peakRssMiB);
    const [fastestName, fastest] = Object.entries(theirs).reduce((a, b) => (b[1] > a[1] ? b : a));
    fastestConfig[model].push(fastestName);
    addRatio(`${model}_default`, rate(defaultThreads) / fastest);
    if (theirs['1'] !== undefined) addRatio(`${model}_1`, rate(1) / theirs['1']);
  }
  console.log(
    `round ${round}/${rounds}: ${Object.entries(best)
      .filter(([k]) => !k.includes('rss_'))
      .map(([k, v]) => `${k}=${v.toFixed(0)}`)
      .join(' ')}`,
  );
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
for (const model of Object.keys(MODELS) as Model[]) {
  console.log(
    `ours    ${MODELS[model].label} batch ${cfg[model].batch}: ` +
      ourThreads.map((t) => `${best[`${model}@${t}`]!.toFixed(0)} samples/s at ${t} thread(s)`).join(', ') +
      ` (best of ${rounds})`,
  );
}
if (torchInfo) {
  const info = torchInfo;
  const describe = (c: TorchResult['configs'][number]) =>
    `${/^\d+$/.test(c.name) ? `${c.name} thread(s)` : c.name} (OpenMP ${c.omp} + OpenBLAS ${c.blas ?? 'default'})`;
  for (const c of info.configs) {
    console.log(
      `PyTorch ${info.torch} CPU ${describe(c)}: ` +
        (Object.keys(MODELS) as Model[])
          .map((m) => `${m} ${best[`torch_${m}_${c.name}`]!.toFixed(0)}`)
          .join(', ') +
        ` samples/s (best of ${rounds})`,
    );
  }
  if (!info.blas.settable)
    console.log(
      `PyTorch's OpenBLAS thread count could not be set (${info.blas.note}): its "t thread(s)" set OpenMP only, ` +
        `and its products may use more cores`,
    );
}
for (const model of Object.keys(MODELS) as Model[]) {
  const o = best[`rss_${model}`]!;
  const t = best[`torch_rss_${model}`];
  console.log(
    `peak RSS ${model} (its own process, max of ${rounds}): ours ${o.toFixed(0)} MiB` +
      (t ? `, PyTorch ${t.toFixed(0)} MiB -> ours/PyTorch ${(o / t).toFixed(2)}x (target <= 1.0x)` : ''),
  );
}
if (torchInfo) {
  const targets: Record<Model, string> = {
    mlp: 'target >= 1.0x',
    cnn: 'target >= 0.8x',
    conv1d: 'no target',
  };
  for (const [key, what] of [
    ['default', `ours ${defaultThreads} thread(s) / PyTorch's fastest`],
    ['1', 'ours 1 thread / PyTorch 1 thread (OpenMP 1 + OpenBLAS 1)'],
  ] as const) {
    for (const model of Object.keys(MODELS) as Model[]) {
      const r = ratios[`${model}_${key}`];
      if (!r) continue;
      const which =
        key === 'default' ? `; PyTorch's fastest per round: ${fastestConfig[model].join(', ')}` : '';
      console.log(
        `ratio ${what}, ${model}: median ${median(r).toFixed(2)}x [${r.map((v) => v.toFixed(2)).join(' ')}] (${targets[model]})${which}`,
      );
    }
  }
}

if (process.env.BENCH_SKIP_SPLIT !== '1') {
  for (const model of Object.keys(MODELS) as Model[]) {
    const split = await stepSplit(MODELS[model].spec, MODELS[model].shape, cfg[model].batch);
    console.log(
      `split   ${model} batch ${cfg[model].batch} (${defaultThreads} thread(s)): ${formatSplit(split)}`,
    );
  }
}

if (process.env.BENCH_SKIP_MEMORY !== '1') {
  const rows = quick ? 20_000 : 100_000;
  const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, 'memory.ts')], {
    encoding: 'utf8',
    env: {
      ...process.env,
      BENCH_MEMORY_ROWS: String(rows),
      BENCH_BACKEND: backend.name === 'tensorflow' ? 'auto' : backend.name,
    },
  });
  const line = child.stdout.trim().split('\n').at(-1) ?? '';
  try {
    const m = JSON.parse(line);
    console.log(
      `memory  ${m.rows} x 784 float32 (${mib(m.rawBytes).toFixed(0)} MiB raw), 1 epoch: peak RSS ${mib(m.peakRss).toFixed(0)} MiB ` +
        `(baseline ${mib(m.baselineRss).toFixed(0)} MiB) -> peak/raw ${m.ratioTotal.toFixed(2)}x, ` +
        `(peak - baseline)/raw ${m.ratioAboveBaseline.toFixed(2)}x (target < 2.5x), ${m.seconds.toFixed(0)} s`,
    );
  } catch {
    console.log(`memory run failed: ${child.stderr.slice(-2000)}`);
  }
}
