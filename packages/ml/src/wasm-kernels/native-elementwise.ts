import * as tf from '@tensorflow/tfjs';
import { countNativeCall, float32, type ConvAddon } from './native-conv.ts';
import { f32, type KernelArgs, type WasmBackendLike } from './util.ts';

// A layer's bias and relu on the training path in the native addon (native/elementwise.c). While it records
// gradients TensorFlow.js does not fuse them into the convolution or product, so each is a kernel over the
// whole activation: a broadcast Add, a Sum for the bias gradient, and Step, Cast and Multiply for the relu
// gradient. Float32 only; anything else goes to the stock kernels.

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Add where one operand is a vector along the other's last axis (shape [C] or [1, ..., 1, C]): a bias.
 * Other adds go to `fallback`. Exact either way (one float32 addition per element).
 */
export function nativeBiasAdd(addon: ConvAddon, fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { a, b } = args.inputs;
    const isBias = (x: tf.TensorInfo, v: tf.TensorInfo) =>
      x.shape.length >= 2 &&
      v.shape.length <= x.shape.length &&
      v.shape.at(-1) === x.shape.at(-1) &&
      size(v.shape) === x.shape.at(-1) &&
      size(x.shape) > 0;
    const [x, bias] = a && b && isBias(a, b) ? [a, b] : a && b && isBias(b, a) ? [b, a] : [null, null];
    if (!x || !bias || !float32(x, bias)) return fallback(args as never) as tf.TensorInfo;
    const cols = x.shape.at(-1)!;
    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput(x.shape, 'float32');
    addon.biasAdd(f32(backend, x), f32(backend, bias), size(x.shape) / cols, cols, f32(backend, out));
    countNativeCall();
    return out;
  };
}

/**
 * Sum over the leading axes (every axis but the last), as the bias gradients of dense and convolution
 * layers are: one pass over the rows instead of the stock kernel's transpose and reduction.
 */
export function nativeLeadingSum(addon: ConvAddon, fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { x } = args.inputs;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const rank = x?.shape.length ?? 0;
    const axes = (Array.isArray(axis) ? axis : [axis])
      .map((a) => (a < 0 ? a + rank : a))
      .sort((a, b) => a - b);
    const leading = rank >= 2 && axes.length === rank - 1 && axes.every((a, i) => a === i);
    if (!x || !leading || !float32(x) || x.shape.some((d) => d === 0))
      return fallback(args as never) as tf.TensorInfo;
    const cols = x.shape[rank - 1]!;
    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput(keepDims ? [...axes.map(() => 1), cols] : [cols], 'float32');
    addon.leadingSum(f32(backend, x), size(x.shape) / cols, cols, f32(backend, out));
    countNativeCall();
    return out;
  };
}

/** The kernel the relu gradient below runs on wasm: dy * step(x), inputs {dy, x} of one shape. */
export const RELU_GRAD = 'TrainhubReluGrad';

export function nativeReluGrad(addon: ConvAddon) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { dy, x } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput(x.shape, 'float32');
    const n = size(x.shape);
    if (n > 0) addon.reluGrad(f32(backend, dy), f32(backend, x), n, f32(backend, out));
    countNativeCall();
    return out;
  };
}

/**
 * dy * step(x): the gradient through a relu whose input (or output: the same sign) is `x`. One RELU_GRAD
 * kernel on wasm when the addon registered it, else the stock Step, Cast and Multiply (any backend).
 */
export function reluBackward(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const native =
    tf.getBackend() === 'wasm' &&
    tf.getKernel(RELU_GRAD, 'wasm') !== undefined &&
    x.dtype === 'float32' &&
    dy.dtype === 'float32' &&
    tf.util.arraysEqual(dy.shape, x.shape);
  return native
    ? (tf.engine().runKernel(RELU_GRAD, { dy, x }) as tf.Tensor)
    : tf.mul(dy, tf.cast(tf.step(x), 'float32'));
}

/**
 * Relu's gradient as one kernel on wasm (RELU_GRAD) instead of Step, Cast and Multiply: the same values
 * (step is 1 above 0, 0 below, NaN for NaN; then one float32 product). TensorFlow.js's gradients are
 * registered per op for every backend, so the stock formula stays for other backends and other dtypes.
 */
export function registerReluGradient(): void {
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as tf.Tensor[];
      return { x: () => reluBackward(dy as tf.Tensor, x!) };
    },
  });
  // Its own gradient (second derivatives through a relu): linear in dy, nothing through x.
  tf.registerGradient({
    kernelName: RELU_GRAD,
    inputsToSave: ['x'],
    gradFunc: (ddy, saved) => {
      const [x] = saved as tf.Tensor[];
      return {
        dy: () => tf.mul(ddy as tf.Tensor, tf.cast(tf.step(x!), 'float32')),
        x: () => tf.zerosLike(x!),
      };
    },
  });
}
