import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs';
import { f32, type KernelArgs, type WasmBackendLike } from './util.ts';

// Matrix products of the wasm backend through OpenBLAS (native/blas.c, built by scripts/build-native.mjs
// when the machine has a compiler and Debian's libopenblas0). wasm's XNNPack GEMM is limited to 128-bit
// SIMD on one thread; OpenBLAS uses the CPU's widest vectors and, by default, every core. The operands stay
// in the wasm heap: the addon reads and writes it in place, so nothing is copied.
//
// Off with TRAINHUB_ML_BLAS=0; TRAINHUB_ML_BLAS_THREADS=n sets OpenBLAS's thread count (default: its own,
// all cores or OPENBLAS_NUM_THREADS).

/** The binding's functions (native/blas.c). */
interface BlasAddon {
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    aOffset: number,
    b: Float32Array,
    bOffset: number,
    beta: number,
    c: Float32Array,
    cOffset: number,
  ): void;
  /** Sets the thread count when > 0; answers the count in effect. */
  setThreads(threads: number): number;
  /** In place: x[r, c] = act(x[r, c] + bias[c]) over `rows` x `cols` (native/elementwise.c). */
  biasActivation?(
    x: Float32Array,
    bias: Float32Array | null,
    rows: number,
    cols: number,
    relu: boolean,
  ): void;
}

// Below this many multiply-adds the call costs more than XNNPack's product.
const MIN_WORK = 16 * 1024;

/** The addon's path: beside this package's source, also when bundled into the trainer. */
function addonPath(): string | null {
  const candidates: string[] = [];
  try {
    const require = createRequire(import.meta.url);
    candidates.push(path.join(path.dirname(require.resolve('@trainhub/ml/package.json')), 'native/build'));
  } catch {
    /* not resolvable from here (running from source inside the package) */
  }
  candidates.push(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../native/build'));
  const found = candidates.map((dir) => path.join(dir, 'blas.node')).find((file) => existsSync(file));
  return found ?? null;
}

let addon: BlasAddon | null | undefined;
let loadError: string | null = null;

/** The OpenBLAS binding, or null (not built, disabled, or failed to load: see `blasUnavailableReason`). */
export function loadBlas(): BlasAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (process.env.TRAINHUB_ML_BLAS === '0') {
    loadError = 'disabled by TRAINHUB_ML_BLAS=0';
    return null;
  }
  const file = addonPath();
  if (!file) {
    loadError = 'native/build/blas.node is not built (needs a C compiler and libopenblas0)';
    return null;
  }
  try {
    addon = createRequire(import.meta.url)(file) as BlasAddon;
    const threads = Number(process.env.TRAINHUB_ML_BLAS_THREADS ?? 0);
    addon.setThreads(Number.isInteger(threads) && threads > 0 ? threads : 0);
  } catch (error) {
    loadError = (error as Error).message;
    addon = null;
  }
  return addon;
}

export function blasUnavailableReason(): string | null {
  return loadError;
}

export function blasThreads(): number {
  return loadBlas()?.setThreads(0) ?? 0;
}

const product = (dims: number[]) => dims.reduce((p, q) => p * q, 1);
const sameDims = (x: number[], y: number[]) => x.length === y.length && x.every((d, i) => d === y[i]);

/**
 * Wraps BatchMatMul or _FusedMatMul: float32 products (batched, either operand broadcast, any
 * transposition; fused with a per-column bias and linear or relu) run in OpenBLAS; anything else goes to
 * `fallback`, the wasm kernel.
 */
export function blasMatMul(blas: BlasAddon, fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { a, b, bias, preluActivationWeights } = args.inputs;
    const attrs = args.attrs as { transposeA: boolean; transposeB: boolean; activation?: string };
    const activation = attrs.activation ?? 'linear';
    const fallBack = () => fallback(args as never) as tf.TensorInfo;
    if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32' || preluActivationWeights)
      return fallBack();
    if (a.shape.length < 2 || b.shape.length < 2 || (activation !== 'linear' && activation !== 'relu'))
      return fallBack();

    const batchShapeA = a.shape.slice(0, -2);
    const batchShapeB = b.shape.slice(0, -2);
    const batchA = product(batchShapeA);
    const batchB = product(batchShapeB);
    let batchShape: number[];
    if (sameDims(batchShapeA, batchShapeB)) batchShape = batchShapeA;
    else if (batchB === 1 && batchShapeB.length <= batchShapeA.length) batchShape = batchShapeA;
    else if (batchA === 1 && batchShapeA.length <= batchShapeB.length) batchShape = batchShapeB;
    else return fallBack();

    const [aRows, aCols] = a.shape.slice(-2) as [number, number];
    const [bRows, bCols] = b.shape.slice(-2) as [number, number];
    const m = attrs.transposeA ? aCols : aRows;
    const k = attrs.transposeA ? aRows : aCols;
    const n = attrs.transposeB ? bRows : bCols;
    if ((attrs.transposeB ? bCols : bRows) !== k || m * n * k < MIN_WORK) return fallBack();
    if (bias && (bias.dtype !== 'float32' || product(bias.shape) !== n || bias.shape.at(-1) !== n))
      return fallBack();

    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput([...batchShape, m, n], 'float32');
    // Views after the allocation: growing the heap detaches earlier ones.
    const c = f32(backend, out);
    const av = f32(backend, a);
    const bv = f32(backend, b);
    const batches = product(batchShape);
    for (let i = 0; i < batches; i++) {
      blas.sgemm(
        attrs.transposeA,
        attrs.transposeB,
        m,
        n,
        k,
        1,
        av,
        batchA === 1 ? 0 : i * m * k,
        bv,
        batchB === 1 ? 0 : i * k * n,
        0,
        c,
        i * m * n,
      );
    }
    // The bias after the product, then the relu: the values of the unfused BatchMatMul, Add and Relu.
    const relu = activation === 'relu';
    if (!bias && !relu) return out;
    const biasView = bias ? f32(backend, bias) : null;
    if (blas.biasActivation) blas.biasActivation(c, biasView, c.length / n, n, relu);
    else {
      if (biasView) for (let i = 0; i < c.length; i++) c[i] = c[i]! + biasView[i % n]!;
      if (relu) for (let i = 0; i < c.length; i++) if (!(c[i]! > 0)) c[i] = 0;
    }
    return out;
  };
}
