/**
 * Training benchmark (`npm run bench:train` at the root, or `pnpm --filter @trainhub/ml bench`).
 *
 * Trains, on synthetic data, an MLP 784-256-128-10 (batch 128), a CNN 28x28x1
 * conv16-pool-conv32-pool-dense10 (batch 64) and an Edge Impulse-sized 1D-conv time-series classifier
 * (650 features as 50x13, conv1d 8 + pool, conv1d 16 + pool, dense10; batch 32) with our trainer, at the
 * default OpenBLAS thread count and at 1 thread, and in the same run the same models in PyTorch CPU
 * (Debian python3-torch, run with /usr/bin/python3; installed with apt when missing) at its default and
 * at every core. Prints samples/s, the ratios ours/PyTorch (default vs PyTorch's fastest, 1 thread vs 1
 * thread), the per-step time split (forward, backward, optimizer, data), peak RSS, and the peak memory
 * of a 100k x 784 training run relative to the raw float32 data. Timings on shared machines are noisy:
 * compare the ratios of one run.
 *
 * Env: BENCH_BACKEND (default wasm), BENCH_ROUNDS (default 3), BENCH_QUICK=1 (smaller runs),
 * BENCH_SKIP_TORCH=1, BENCH_SKIP_MEMORY=1, BENCH_SKIP_SPLIT=1.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, train, type EpochLog } from '../src/index.ts';
import { loadBlas } from '../src/wasm-kernels/blas-matmul.ts';
import { CNN_SPEC, CONV1D_SPEC, mib, MLP_SPEC, peakRss, synthetic } from './common.ts';
import { formatSplit, stepSplit } from './profile.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const backendPref = (process.env.BENCH_BACKEND ?? 'wasm') as 'wasm' | 'cpu' | 'auto' | 'tensorflow';
const PY = '/usr/bin/python3';

const cfg = {
  mlp: { n: quick ? 4096 : 8192, batch: 128, epochs: 2 },
  cnn: { n: quick ? 1024 : 2048, batch: 64, epochs: 2 },
  conv1d: { n: quick ? 2048 : 4096, batch: 32, epochs: 2 },
};
type Model = keyof typeof cfg;
const MODELS: Record<Model, { spec: object; shape: number[]; label: string }> = {
  mlp: { spec: MLP_SPEC, shape: [784], label: 'MLP 784-256-128-10' },
  cnn: { spec: CNN_SPEC, shape: [28, 28, 1], label: 'CNN conv16-pool-conv32-pool-dense10' },
  conv1d: { spec: CONV1D_SPEC, shape: [650], label: 'Conv1D 50x13 conv8-pool-conv16-pool-dense10' },
};

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

function steadyRate(history: EpochLog[]): number {
  const steady = history.length > 1 ? history.slice(1) : history;
  return steady.reduce((a, h) => a + h.samplesPerSecond, 0) / steady.length;
}

async function ours(spec: object, shape: number[], c: { n: number; batch: number; epochs: number }) {
  const r = await train({
    spec,
    data: synthetic(c.n, shape),
    preprocessing: { testSize: 0 },
    hyperparameters: { epochs: c.epochs, batchSize: c.batch, seed: 1 },
    backend: backendPref,
  });
  return { rate: steadyRate(r.history), backend: r.backend };
}

const backend = await initBackend(backendPref);
console.log(
  `Backend: ${backend.name} (${backend.provider}), tfjs ${backend.tfjsVersion}, node ${process.version}`,
);
const rounds = Number(process.env.BENCH_ROUNDS ?? (quick ? 1 : 3));
const withTorch = process.env.BENCH_SKIP_TORCH !== '1' && ensureTorch();
if (process.env.BENCH_SKIP_TORCH !== '1' && !withTorch)
  console.log('PyTorch reference unavailable (could not install python3-torch); no ratios');

type TorchResult = { torch: string; defaultThreads: number; threads: number[]; peakRssMiB: number } & Record<
  string,
  number
>;
const torchRun = (model: Model): TorchResult => {
  const out = execFileSync(
    PY,
    [path.join(here, 'torch_reference.py'), JSON.stringify({ ...cfg, models: [model] })],
    {
      encoding: 'utf8',
    },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!) as TorchResult;
};
const best: Record<string, number> = {};
const keep = (k: string, v: number) => (best[k] = Math.max(best[k] ?? 0, v));
const ratios: Record<string, number[]> = {};
const addRatio = (k: string, v: number) => (ratios[k] ??= []).push(v);
let torchInfo: TorchResult | null = null;
// Ours at OpenBLAS's default thread count and at 1 thread (the addon's setting; without the addon both
// are the same one wasm thread).
const blas = loadBlas();
const defaultThreads = blas?.setThreads(0) ?? 1;
const ourThreads = [...new Set([defaultThreads, 1])];
const setThreads = (t: number) => blas?.setThreads(t);
// Each round runs ours and PyTorch back to back per model, so a ratio compares runs made under the same
// load; the median ratio over rounds is reported, with the best rate of each side.
for (let round = 1; round <= rounds; round++) {
  for (const model of Object.keys(MODELS) as Model[]) {
    const rate: Record<number, number> = {};
    for (const t of ourThreads) {
      setThreads(t);
      rate[t] = (await ours(MODELS[model].spec, MODELS[model].shape, cfg[model])).rate;
      keep(`${model}@${t}`, rate[t]);
    }
    setThreads(defaultThreads);
    if (!withTorch) continue;
    torchInfo = torchRun(model);
    const theirs = (t: number) => torchInfo![`${model}_${t}`]!;
    for (const t of torchInfo.threads) keep(`torch_${model}_${t}`, theirs(t));
    const fastest = Math.max(...torchInfo.threads.map(theirs));
    addRatio(`${model}_default`, rate[defaultThreads]! / fastest);
    if (torchInfo.threads.includes(1)) addRatio(`${model}_1`, rate[1]! / theirs(1));
  }
  console.log(
    `round ${round}/${rounds}: ${Object.entries(best)
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
console.log(`ours    peak RSS: ${mib(peakRss()).toFixed(0)} MiB`);
if (torchInfo) {
  for (const t of torchInfo.threads) {
    const note = t === torchInfo.defaultThreads ? ' (PyTorch default here)' : '';
    console.log(
      `PyTorch ${torchInfo.torch} CPU ${t} thread(s)${note}: ` +
        (Object.keys(MODELS) as Model[])
          .map((m) => `${m} ${best[`torch_${m}_${t}`]!.toFixed(0)}`)
          .join(', ') +
        ` samples/s (best of ${rounds})`,
    );
  }
  console.log(`PyTorch peak RSS: ${torchInfo.peakRssMiB.toFixed(0)} MiB`);
  const targets: Record<Model, string> = {
    mlp: 'target >= 1.0x',
    cnn: 'target >= 0.8x',
    conv1d: 'no target',
  };
  for (const [key, what] of [
    ['default', `ours ${defaultThreads} thread(s) / PyTorch's fastest`],
    ['1', 'ours 1 thread / PyTorch 1 thread'],
  ] as const) {
    for (const model of Object.keys(MODELS) as Model[]) {
      const r = ratios[`${model}_${key}`];
      if (!r) continue;
      console.log(
        `ratio ${what}, ${model}: median ${median(r).toFixed(2)}x [${r.map((v) => v.toFixed(2)).join(' ')}] (${targets[model]})`,
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
