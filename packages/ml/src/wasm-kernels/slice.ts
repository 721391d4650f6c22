import * as tf from '@tensorflow/tfjs';
import type { KernelArgs, WasmBackendLike } from './util.ts';

// The stock wasm Slice reads its whole input out of the heap (backend.readSync copies it) before copying
// the slice, so model.predict, which slices its input into batches of 32, copied n rows n/32 times. These
// kernels copy only the slice, heap to heap. StridedSlice, SplitV and Unpack call the stock slice
// directly (not through the registry), so they are replaced too. Strings and complex64 go to the stock
// kernels.

type HeapArray = Float32Array | Int32Array | Uint8Array;

/** Runs shorter than this are copied element by element: a subarray per run costs more than the copy. */
const SHORT_RUN = 16;

/** Whether the tensor's data lives in the heap as one typed array (the dtypes typedArrayFromHeap reads). */
function onHeap(x: tf.TensorInfo): boolean {
  return x.dtype === 'float32' || x.dtype === 'int32' || x.dtype === 'bool';
}

/** Row-major element strides of `shape`, the last axis's 1 included (tfjs's computeStrides omits it). */
function elementStrides(shape: number[]): number[] {
  return [...tf.util.computeStrides(shape), 1];
}

/**
 * Copies the box `[begin, begin + size)` of `x` (row-major, of `shape`) into `out` (row-major, of `size`).
 * Trailing axes the box spans whole merge with the innermost partial axis into one contiguous run; each
 * run is one `set(subarray)` (one in all for a contiguous slice). `begin`/`size` must be in range (as
 * `slice_util.parseSliceParams` leaves them); nothing is checked here.
 */
export function copyBox(
  x: HeapArray,
  shape: number[],
  begin: number[],
  size: number[],
  out: HeapArray,
): void {
  const rank = shape.length;
  const total = size.reduce((a, b) => a * b, 1);
  if (total === 0) return;
  const strides = elementStrides(shape);
  let offset = tf.slice_util.computeFlatOffset(begin, strides);
  // The innermost axis the box does not span whole; the run is its extent times everything inside it.
  let inner = rank - 1;
  let run = 1;
  while (inner >= 0 && size[inner] === shape[inner]) run *= shape[inner--]!;
  if (inner >= 0) run *= size[inner]!;
  if (run === total) {
    out.set(x.subarray(offset, offset + run));
    return;
  }
  // Odometer over the axes outside the run (0 .. inner-1).
  const index = new Array<number>(inner).fill(0);
  for (let o = 0; o < total; o += run) {
    if (run < SHORT_RUN) for (let i = 0; i < run; i++) out[o + i] = x[offset + i]!;
    else out.set(x.subarray(offset, offset + run), o);
    for (let d = inner - 1; d >= 0; d--) {
      offset += strides[d]!;
      if (++index[d]! < size[d]!) break;
      offset -= size[d]! * strides[d]!;
      index[d] = 0;
    }
  }
}

/**
 * Copies the strided selection of `x` (row-major, of `shape`) whose element `loc` of `outShape` is
 * `x[begin + loc * strides]` into `out` (row-major, of `outShape`), as the cpu backend's stridedSliceImpl
 * does; every array has x's rank and the selection must be in range (as `slice_util.sliceInfo` leaves it).
 */
export function copyStrided(
  x: HeapArray,
  shape: number[],
  begin: number[],
  strides: number[],
  outShape: number[],
  out: HeapArray,
): void {
  const rank = shape.length;
  const total = outShape.reduce((a, b) => a * b, 1);
  if (total === 0) return;
  const elements = elementStrides(shape);
  const step = elements.map((e, d) => strides[d]! * e);
  let offset = tf.slice_util.computeFlatOffset(begin, elements);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < total; o++) {
    out[o] = x[offset]!;
    for (let d = rank - 1; d >= 0; d--) {
      offset += step[d]!;
      if (++index[d]! < outShape[d]!) break;
      offset -= outShape[d]! * step[d]!;
      index[d] = 0;
    }
  }
}

/** A new heap tensor holding the box `[begin, begin + size)` of `x` (both already parsed, in range). */
function sliceOnHeap(
  backend: WasmBackendLike,
  x: tf.TensorInfo,
  begin: number[],
  size: number[],
): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  // Views only after makeOutput: its allocation may grow the heap, which detaches earlier views.
  copyBox(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
  return out;
}

/**
 * Slice (tf.slice; attrs begin, size with -1 = to the end) straight from the wasm heap: the output's
 * elements are the only ones read. Same result as the stock kernel, bit for bit (a copy).
 */
export function wasmSlice(fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const x = args.inputs.x!;
    if (!onHeap(x)) return fallback(args as never) as tf.TensorInfo;
    const { begin, size } = args.attrs as { begin: number | number[]; size?: number | number[] };
    const [b, s] = tf.slice_util.parseSliceParams(x, begin, size);
    return sliceOnHeap(args.backend as WasmBackendLike, x, b!, s!);
  };
}

/**
 * StridedSlice (tf.stridedSlice, tensor indexing): a box (unit strides) through the slice above, other
 * selections element by element (the stock kernel wrote those as float32 whatever the input's dtype).
 * Identities (no copy) and strings go to the stock kernel.
 */
export function wasmStridedSlice(fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const x = args.inputs.x!;
    const a = args.attrs as {
      begin: number[];
      end: number[];
      strides: number[];
      beginMask: number;
      endMask: number;
      ellipsisMask: number;
      newAxisMask: number;
      shrinkAxisMask: number;
    };
    const info = tf.slice_util.sliceInfo(
      x.shape,
      a.begin,
      a.end,
      a.strides,
      a.beginMask,
      a.endMask,
      a.ellipsisMask,
      a.newAxisMask,
      a.shrinkAxisMask,
    );
    if (!onHeap(x) || info.isIdentity) return fallback(args as never) as tf.TensorInfo;
    const backend = args.backend as WasmBackendLike;
    if (!info.sliceDim0 && !info.isSimpleSlice) {
      const out = backend.makeOutput(info.finalShapeSparse, x.dtype);
      const [xs, outs] = [backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out)];
      copyStrided(xs, x.shape, info.begin, info.strides, info.finalShapeSparse, outs);
      return { dataId: out.dataId, shape: info.finalShape, dtype: out.dtype };
    }
    // As the stock kernel does: the box's extent per axis, then the final shape (same element count).
    const extent = tf.slice_util.computeOutShape(info.begin, info.end, info.strides);
    const [begin, size] = tf.slice_util.parseSliceParams(x, info.begin, extent);
    const out = sliceOnHeap(backend, x, begin!, size!);
    return { dataId: out.dataId, shape: info.finalShape, dtype: out.dtype };
  };
}

/** SplitV (tf.split): one slice per piece along `axis`. */
export function wasmSplitV(fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo[] => {
    const x = args.inputs.x!;
    if (!onHeap(x)) return fallback(args as never) as tf.TensorInfo[];
    const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
    const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, ax);
    const begin = x.shape.map(() => 0);
    return sizes.map((s) => {
      const size = x.shape.slice();
      size[ax] = s;
      const piece = sliceOnHeap(args.backend as WasmBackendLike, x, begin, size);
      begin[ax]! += s;
      return piece;
    });
  };
}

/** Unpack (tf.unstack): one slice per index along `axis`, that axis dropped from each output's shape. */
export function wasmUnpack(fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo[] => {
    const value = args.inputs.value!;
    if (!onHeap(value)) return fallback(args as never) as tf.TensorInfo[];
    const rank = value.shape.length;
    let { axis } = args.attrs as { axis: number };
    if (axis < 0) axis += rank;
    const outShape = value.shape.filter((_, d) => d !== axis);
    const begin = value.shape.map(() => 0);
    const size = value.shape.slice();
    size[axis] = 1;
    return Array.from({ length: value.shape[axis]! }, (_, i) => {
      begin[axis] = i;
      const out = sliceOnHeap(args.backend as WasmBackendLike, value, begin, size);
      return { dataId: out.dataId, shape: outShape, dtype: out.dtype };
    });
  };
}

/**
 * Replaces the wasm Slice, StridedSlice, SplitV and Unpack kernels with the heap-reading ones above, each
 * keeping the kernel registered so far as its fallback. `add` registers a wasm kernel (index.ts's).
 */
export function registerSliceKernels(add: (name: string, kernelFunc: unknown) => void): void {
  const wrap = (name: string, make: (fallback: tf.KernelFunc) => unknown) => {
    const previous = tf.getKernel(name, 'wasm');
    if (previous) add(name, make(previous.kernelFunc));
  };
  wrap('Slice', wasmSlice);
  wrap('StridedSlice', wasmStridedSlice);
  wrap('SplitV', wasmSplitV);
  wrap('Unpack', wasmUnpack);
}
