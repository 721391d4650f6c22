import * as tf from '@tensorflow/tfjs';
import { callKernel, type KernelArgs, type WasmBackendLike } from './util.ts';

function transposeLast2(info: tf.TensorInfo, backend: unknown): tf.TensorInfo {
  const rank = info.shape.length;
  const perm = info.shape.map((_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return callKernel('Transpose', { x: info }, backend, { perm });
}

/**
 * Wraps the wasm MatMul kernels (BatchMatMul, _FusedMatMul): with transposed operands the stock kernel is
 * ~15x slower than without, so transpose explicitly (a cheap wasm Transpose) and run the plain kernel.
 */
export function fastTransposedMatMul(original: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const attrs = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!attrs.transposeA && !attrs.transposeB) return original(args as never) as tf.TensorInfo;
    const backend = args.backend as WasmBackendLike;
    const inputs = { ...args.inputs };
    const temps: tf.TensorInfo[] = [];
    if (attrs.transposeA) {
      inputs.a = transposeLast2(inputs.a!, backend);
      temps.push(inputs.a);
    }
    if (attrs.transposeB) {
      inputs.b = transposeLast2(inputs.b!, backend);
      temps.push(inputs.b);
    }
    const out = original({
      ...args,
      inputs,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    } as never) as tf.TensorInfo;
    for (const t of temps) backend.disposeData(t.dataId);
    return out;
  };
}
