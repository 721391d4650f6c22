import * as tf from '@tensorflow/tfjs';
import { countNativeCall, float32, geometry, rank4, type ConvAddon } from './native-conv.ts';
import { f32, type KernelArgs, type WasmBackendLike } from './util.ts';

// Pooling of the wasm backend in the native addon (native/pool.c), float32 NHWC; anything else goes to
// the kernel each one wraps. Results follow the cpu backend (first maximum in row-major order; averages over
// in-bounds taps, the average's gradient scaled by 1 / window size).

type PoolAttrs = {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'same' | 'valid' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/** The pooling geometry of an NHWC input `shape` (native/common.h's layout, CO = C, no dilation). */
function poolGeometry(shape: number[], attrs: PoolAttrs): { geometry: Int32Array; outShape: number[] } {
  const info = tf.backend_util.computePool2DInfo(
    shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  return { geometry: geometry({ ...info, dilationHeight: 1, dilationWidth: 1 }), outShape: info.outShape };
}

/** MaxPoolGrad (inputs dy, input, output): dy goes to the first maximum of each window. */
export function nativeMaxPoolGrad(addon: ConvAddon, fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { dy, input } = args.inputs;
    if (!dy || !input || !rank4(input) || !float32(dy, input))
      return fallback(args as never) as tf.TensorInfo;
    const { geometry: g } = poolGeometry(input.shape, args.attrs as PoolAttrs);
    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput(input.shape, 'float32');
    addon.maxPool(g, f32(backend, input), null, f32(backend, dy), f32(backend, out));
    countNativeCall();
    return out;
  };
}

/** AvgPool (input x): the mean of each window's in-bounds taps. */
export function nativeAvgPool(addon: ConvAddon, fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { x } = args.inputs;
    if (!x || !rank4(x) || !float32(x)) return fallback(args as never) as tf.TensorInfo;
    const { geometry: g, outShape } = poolGeometry(x.shape, args.attrs as PoolAttrs);
    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput(outShape, 'float32');
    addon.avgPool(g, f32(backend, x), f32(backend, out));
    countNativeCall();
    return out;
  };
}

/** AvgPoolGrad (inputs dy, input): each window's dy / window size to its in-bounds taps. */
export function nativeAvgPoolGrad(addon: ConvAddon, fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { dy, input } = args.inputs;
    if (!dy || !input || !rank4(input) || !float32(dy)) return fallback(args as never) as tf.TensorInfo;
    const { geometry: g } = poolGeometry(input.shape, args.attrs as PoolAttrs);
    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput(input.shape, 'float32');
    addon.avgPoolGrad(g, f32(backend, dy), f32(backend, out));
    countNativeCall();
    return out;
  };
}
