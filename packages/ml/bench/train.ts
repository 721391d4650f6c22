/**
 * Training benchmark (`npm run bench:train` at the root, or `pnpm --filter @trainhub/ml bench`).
 *
 * Trains, on synthetic data, an MLP 784-256-128-10 (batch 128) and a CNN 28x28x1
 * conv16-pool-conv32-pool-dense10 (batch 64) with our trainer, and in the same run the same two models in
 * PyTorch CPU (Debian python3-torch, run with /usr/bin/python3; installed with apt when missing). Prints
 * samples/s, the ratio ours/PyTorch, peak RSS, and the peak memory of a 100k x 784 training run relative
 * to the raw float32 data. Timings on shared machines are noisy: compare the ratios of one run.
 *
 * Env: BENCH_BACKEND (default wasm), BENCH_ROUNDS (default 3), BENCH_QUICK=1 (smaller runs),
 * BENCH_SKIP_TORCH=1, BENCH_SKIP_MEMORY=1.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, train, type EpochLog } from '../src/index.ts';
import { CNN_SPEC, mib, MLP_SPEC, peakRss, synthetic } from './common.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const backendPref = (process.env.BENCH_BACKEND ?? 'wasm') as 'wasm' | 'cpu' | 'auto' | 'tensorflow';
const PY = '/usr/bin/python3';

const cfg = {
  mlp: { n: quick ? 4096 : 8192, batch: 128, epochs: 2 },
  cnn: { n: quick ? 1024 : 2048, batch: 64, epochs: 2 },
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
const torchRun = (model: 'mlp' | 'cnn'): TorchResult => {
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
// Each round runs ours and PyTorch back to back per model, so a ratio compares runs made under the same
// load; the median ratio over rounds is reported, with the best rate of each side.
for (let round = 1; round <= rounds; round++) {
  for (const model of ['mlp', 'cnn'] as const) {
    const rate =
      model === 'mlp'
        ? (await ours(MLP_SPEC, [784], cfg.mlp)).rate
        : (await ours(CNN_SPEC, [28, 28, 1], cfg.cnn)).rate;
    keep(model, rate);
    if (!withTorch) continue;
    torchInfo = torchRun(model);
    for (const t of torchInfo.threads) {
      const theirs = torchInfo[`${model}_${t}`]!;
      keep(`torch_${model}_${t}`, theirs);
      addRatio(`${model}_${t}`, rate / theirs);
    }
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
console.log(
  `ours    MLP 784-256-128-10 batch ${cfg.mlp.batch}: ${best.mlp!.toFixed(0)} samples/s (best of ${rounds})`,
);
console.log(
  `ours    CNN conv16-pool-conv32-pool-dense10 batch ${cfg.cnn.batch}: ${best.cnn!.toFixed(0)} samples/s (best of ${rounds})`,
);
console.log(`ours    peak RSS: ${mib(peakRss()).toFixed(0)} MiB`);
if (torchInfo) {
  for (const t of torchInfo.threads) {
    const note = t === torchInfo.defaultThreads ? ' (PyTorch default here)' : '';
    console.log(
      `PyTorch ${torchInfo.torch} CPU ${t} thread(s)${note}: MLP ${best[`torch_mlp_${t}`]!.toFixed(0)} samples/s, ` +
        `CNN ${best[`torch_cnn_${t}`]!.toFixed(0)} samples/s (best of ${rounds})`,
    );
  }
  console.log(`PyTorch peak RSS: ${torchInfo.peakRssMiB.toFixed(0)} MiB`);
  for (const t of torchInfo.threads) {
    const r = (m: string) => ratios[`${m}_${t}`]!;
    console.log(
      `ratio ours/PyTorch(${t} thread${t > 1 ? 's' : ''}), median of rounds [all]: ` +
        `MLP ${median(r('mlp')).toFixed(2)}x [${r('mlp')
          .map((v) => v.toFixed(2))
          .join(' ')}] (target >= 0.5x, goal 1.0x), ` +
        `CNN ${median(r('cnn')).toFixed(2)}x [${r('cnn')
          .map((v) => v.toFixed(2))
          .join(' ')}] (target >= 0.3x, goal 0.5x)`,
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
