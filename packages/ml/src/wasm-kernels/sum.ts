import * as tf from '@tensorflow/tfjs';
import { alias, callKernel, f32, type KernelArgs, type WasmBackendLike } from './util.ts';

/**
 * Sum over every axis but the last (bias gradients of dense/conv layers: [N, H, W, C] -> [C]) as one
 * XNNPack MatMul ones[1, M] x x[M, C]; the stock wasm Sum transposes the input first. Other cases use the
 * stock kernel.
 */
export function fastSum(original: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const x = args.inputs.x!;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = rank >= 2 && axes.length === rank - 1 && axes.every((a, i) => a === i);
    if (!leading || x.dtype !== 'float32') return original(args as never) as tf.TensorInfo;
    const backend = args.backend as WasmBackendLike;
    const C = x.shape[rank - 1]!;
    const M = x.shape.slice(0, rank - 1).reduce((a, b) => a * b, 1);
    if (M < 64) return original(args as never) as tf.TensorInfo;
    const onesInfo = backend.makeOutput([1, 1, M], 'float32');
    f32(backend, onesInfo).fill(1);
    const out = callKernel('BatchMatMul', { a: onesInfo, b: alias(x, [1, M, C]) }, backend, {
      transposeA: false,
      transposeB: false,
    });
    backend.disposeData(onesInfo.dataId);
    return alias(out, keepDims ? [...new Array<number>(rank - 1).fill(1), C] : [C]);
  };
}
