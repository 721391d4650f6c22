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
    const size = (t: tf.TensorInfo) => t.shape.reduce((p, q) => p * q, 1);
    const a0 = inputs.a!;
    const b0 = inputs.b!;
    if (
      args.inputs.bias === undefined &&
      !attrs.transposeA &&
      attrs.transposeB &&
      size(a0) === a0.shape.at(-2)! * a0.shape.at(-1)! &&
      size(b0) === b0.shape.at(-2)! * b0.shape.at(-1)! &&
      size(b0) > size(a0) + a0.shape.at(-2)! * b0.shape.at(-2)!
    ) {
      // a x b^T = (b x a^T)^T: transposes the small operand and the result instead of the big b (a dense
      // layer's input gradient dy x W^T), and XNNPack packs the small a^T as the right-hand side.
      const aT = transposeLast2(a0, backend);
      const prod = original({
        ...args,
        inputs: { a: b0, b: aT },
        attrs: { ...attrs, transposeA: false, transposeB: false },
      } as never) as tf.TensorInfo;
      backend.disposeData(aT.dataId);
      const out = transposeLast2(prod, backend);
      backend.disposeData(prod.dataId);
      return out;
    }
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
