import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { MlInputError } from './errors.ts';
import { blasThreads, blasUnavailableReason, loadBlas } from './wasm-kernels/blas-matmul.ts';
import { registerWasmKernels } from './wasm-kernels/index.ts';
import { prepareThreadedWasm, wantedWasmThreads } from './wasm-threads.ts';

/**
 * Backends, best first: `tensorflow` (libtensorflow through @tensorflow/tfjs-node-gpu, then
 * @tensorflow/tfjs-node, when one is installed), `wasm` (XNNPack SIMD, with our extra gradient kernels),
 * `cpu` (plain JS). `auto` takes the first that works. Override with env TRAINHUB_ML_BACKEND
 * (auto | tensorflow | tensorflow-gpu | wasm | cpu).
 */
export type BackendPreference = 'auto' | 'tensorflow' | 'tensorflow-gpu' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** The tfjs backend that runs: 'tensorflow' | 'wasm' | 'cpu'. */
  name: string;
  /** Which package/build provides it, e.g. '@tensorflow/tfjs-node-gpu', 'wasm-simd'. */
  provider: string;
  tfjsVersion: string;
}

const TFJS_NODE_PACKAGES = { gpu: '@tensorflow/tfjs-node-gpu', cpu: '@tensorflow/tfjs-node' } as const;

let current: BackendInfo | null = null;
let wasmReady = false;

// tfjs-backend-cpu greets every Node process with a banner ("Hi, looks like you are running TensorFlow.js in
// Node.js...") on its first tensor. initBackend picks and reports the backend itself, so the banner is only
// noise: dozens of copies in the test output, one per trainer start. Mark the cpu backend as already used,
// once per process, leaving every other tfjs warning on (tfjs's PROD flag would silence them all).
const cpuBackend = tf.findBackend('cpu') as { firstUse?: boolean } | null;
if (cpuBackend && 'firstUse' in cpuBackend) cpuBackend.firstUse = false;

async function tryTensorflow(gpu: boolean): Promise<string | null> {
  const candidates = gpu ? [TFJS_NODE_PACKAGES.gpu] : [TFJS_NODE_PACKAGES.gpu, TFJS_NODE_PACKAGES.cpu];
  for (const name of candidates) {
    try {
      // The name is a variable so bundlers and tsc do not require the optional package.
      await import(/* @vite-ignore */ name);
      if (await tf.setBackend('tensorflow')) return name;
    } catch {
      // not installed (or libtensorflow missing): try the next
    }
  }
  return null;
}

let wasmThreads = 1;

/** What runs the wasm backend's kernels, e.g. 'wasm-simd + OpenBLAS (2 threads)'. */
function wasmProvider(): string {
  const wasm = wasmThreads > 1 ? `wasm-simd, ${wasmThreads} threads` : 'wasm-simd';
  return loadBlas() ? `${wasm} + OpenBLAS (${blasThreads()} threads)` : wasm;
}

async function tryWasm(log?: (line: string) => void): Promise<boolean> {
  try {
    if (!wasmReady) {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const require = createRequire(import.meta.url);
      const dir = path.join(
        path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')),
        'dist',
      );
      wasm.setWasmPaths(dir + path.sep);
      registerWasmKernels();
      if (!loadBlas())
        log?.(`OpenBLAS unavailable (${blasUnavailableReason()}); matrix products on wasm SIMD`);
      let threaded = null;
      try {
        threaded = prepareThreadedWasm(wasm, wantedWasmThreads());
      } catch (error) {
        log?.(`wasm threads unavailable (${(error as Error).message}); using one thread`);
      }
      let ok = false;
      try {
        ok = await tf.setBackend('wasm');
      } finally {
        threaded?.undo();
      }
      if (!ok) return false;
      threaded?.finish(tf.backend());
      wasmThreads = threaded ? wasm.getThreadsCount() : 1;
      wasmReady = true;
    }
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

function parsePreference(value: string | undefined): BackendPreference {
  const v = (value ?? 'auto').trim().toLowerCase();
  if (v === '' || v === 'auto') return 'auto';
  if (v === 'tensorflow' || v === 'tfjs-node' || v === 'node') return 'tensorflow';
  if (v === 'tensorflow-gpu' || v === 'gpu' || v === 'tfjs-node-gpu') return 'tensorflow-gpu';
  if (v === 'wasm' || v === 'cpu') return v;
  throw new MlInputError(
    'BACKEND_UNAVAILABLE',
    `Unknown backend "${value}" (use auto, tensorflow, tensorflow-gpu, wasm or cpu)`,
  );
}

/**
 * Select and initialize the backend. The explicit `preference` wins over env TRAINHUB_ML_BACKEND. A named
 * backend that cannot start is an error; `auto` falls through to the next.
 */
export async function initBackend(
  preference?: BackendPreference,
  log?: (line: string) => void,
): Promise<BackendInfo> {
  const pref = preference ?? parsePreference(process.env.TRAINHUB_ML_BACKEND);
  let info: BackendInfo | null = null;
  const make = (name: string, provider: string): BackendInfo => ({
    name,
    provider,
    tfjsVersion: tf.version.tfjs,
  });
  if (pref === 'auto' || pref === 'tensorflow' || pref === 'tensorflow-gpu') {
    const provider = await tryTensorflow(pref === 'tensorflow-gpu');
    if (provider) info = make('tensorflow', provider);
    else if (pref !== 'auto') {
      throw new Error(
        `Backend ${pref} is not available: install ${pref === 'tensorflow-gpu' ? TFJS_NODE_PACKAGES.gpu : TFJS_NODE_PACKAGES.cpu} (needs libtensorflow)`,
      );
    }
  }
  if (!info && (pref === 'auto' || pref === 'wasm')) {
    if (await tryWasm(log)) info = make('wasm', wasmProvider());
    else if (pref === 'wasm') throw new Error('Backend wasm failed to initialize');
  }
  if (!info) {
    await tf.setBackend('cpu');
    info = make('cpu', 'tfjs-backend-cpu');
  }
  await tf.ready();
  if (current?.name !== info.name)
    log?.(`Using TensorFlow.js backend ${info.name} (${info.provider}, tfjs ${info.tfjsVersion})`);
  current = info;
  return info;
}

/** The backend selected last (null before initBackend). */
export function currentBackend(): BackendInfo | null {
  return current;
}
