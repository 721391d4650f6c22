import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

/**
 * Multi-threaded XNNPack for tfjs-backend-wasm in Node (both cores for every MatMul/Conv2D).
 *
 * tfjs-backend-wasm 4.22 ships the threaded SIMD build but turns it off in Node (tfjs issue #3830), for
 * three reasons this module works around, all during backend initialization only:
 * 1. The pthread workers are created from blob: URLs, which Node's Worker refuses: we write the worker
 *    script (and the module factory it imports) to a temp folder and hand Node those file paths.
 * 2. The C++ side uses `logical cores / 2` threads (it assumes hyper-threading), i.e. 1 on a 2-core
 *    machine: `os.cpus()` is made to report twice the cores while the module instantiates.
 * 3. The pthread workers keep Node alive: they are unref()'d.
 * Opt-in: env TRAINHUB_ML_WASM_THREADS=2 (or more). Default 1 (the single-threaded SIMD build): on the
 * shared 2-core machines here, XNNPack's spinning thread pool made the MLP 2-3x slower whenever other
 * processes ran (measured 3-7k vs 9-12k samples/s), the CNN about even; on an idle machine it helps
 * MatMul (~1.45x measured for a 128x784x256 product).
 */
export interface ThreadedSetup {
  threads: number;
  finish(backend: unknown): void;
  undo(): void;
}

const NEEDLE =
  'var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)';

export function wantedWasmThreads(): number {
  const env = process.env.TRAINHUB_ML_WASM_THREADS;
  const n = env ? Number(env) : 1;
  return Number.isFinite(n) ? Math.max(1, Math.min(8, Math.floor(n))) : 1;
}

/** Prepare the threaded build before `tf.setBackend('wasm')`; null when not wanted or not possible. */
export function prepareThreadedWasm(
  wasm: { setThreadsCount(n: number): void },
  threads: number,
): ThreadedSetup | null {
  if (threads < 2 || typeof SharedArrayBuffer === 'undefined') return null;
  const require = createRequire(import.meta.url);
  const root = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const { wasmWorkerContents } = require(
    path.join(root, 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js'),
  ) as {
    wasmWorkerContents: string;
  };
  const factoryModule = require(path.join(root, 'wasm-out/tfjs-backend-wasm-threaded-simd.js')) as
    ((...a: unknown[]) => unknown) | { default: (...a: unknown[]) => unknown };
  const factory = typeof factoryModule === 'function' ? factoryModule : factoryModule.default;
  // Same escaping tfjs applies before making its blob.
  const workerSource = wasmWorkerContents.replace(/\n/g, '\\n');
  if (!workerSource.includes(NEEDLE)) return null; // another tfjs build: keep single-threaded
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trainhub-wasm-'));
  const mainPath = path.join(dir, 'threaded-simd.js');
  const workerPath = path.join(dir, 'threaded-simd.worker.js');
  writeFileSync(mainPath, `var WasmBackendModuleThreadedSimd = ${factory.toString()}`);
  writeFileSync(workerPath, workerSource.replace(NEEDLE, `importScripts(${JSON.stringify(mainPath)})`));

  const createObjectURL = URL.createObjectURL;
  const cpus = os.cpus;
  URL.createObjectURL = ((blob: Blob) =>
    blob instanceof Blob && blob.type === 'application/javascript'
      ? workerPath
      : createObjectURL(blob)) as typeof URL.createObjectURL;
  os.cpus = () => {
    const list = cpus();
    const out = [...list];
    while (out.length < threads * 2) out.push(...list);
    return out;
  };
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  const undo = () => {
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
  };
  return {
    threads,
    undo,
    finish(backend: unknown) {
      undo();
      type W = { unref?: () => void };
      const pthreads = (backend as { wasm?: { PThread?: { unusedWorkers: W[]; runningWorkers: W[] } } }).wasm
        ?.PThread;
      for (const w of [...(pthreads?.unusedWorkers ?? []), ...(pthreads?.runningWorkers ?? [])]) {
        w.unref?.();
      }
    },
  };
}
