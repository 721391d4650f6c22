import * as tf from '@tensorflow/tfjs';

/** The slice of the wasm backend our kernels use (tfjs-backend-wasm's BackendWasm). */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
  /** How many tensors share this data (a variable alone: 1). */
  refCount(dataId: object): number;
}

export type KernelArgs = {
  inputs: Record<string, tf.TensorInfo>;
  backend: unknown;
  attrs?: Record<string, unknown>;
};

/** Views into the wasm heap: fetch them after every allocation (growing the heap detaches older views). */
export function f32(backend: WasmBackendLike, info: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** Call another wasm kernel directly (no engine round trip, no tape). */
export function callKernel(
  name: string,
  inputs: Record<string, tf.TensorInfo>,
  backend: unknown,
  attrs: Record<string, unknown> = {},
): tf.TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm kernel ${name} is not registered`);
  return kernel.kernelFunc({
    inputs,
    backend: backend as tf.KernelBackend,
    attrs: attrs as tf.NamedAttrMap,
  }) as tf.TensorInfo;
}

/** A view of a tensor's data with another shape (no copy, no new reference). */
export function alias(info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}
