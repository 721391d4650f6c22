import * as tf from '@tensorflow/tfjs';
import { f32, type KernelArgs, type WasmBackendLike } from './util.ts';

// The categorical cross-entropy of src/losses.ts in the native addon (native/elementwise.c): one kernel for
// the per-sample loss and one for its gradient, instead of ClipByValue, Log, Multiply, Sum and Neg and the
// nine kernels of their gradients over a [batch, classes] tensor (tiny tensors: the cost is the launches);
// and the gradient of the Softmax before it in one kernel instead of four.

/** Kernel names on wasm: inputs {p, t} -> [rows]; and {dy, p, t} -> [rows, cols] (the gradient for p). */
export const CROSS_ENTROPY = 'TrainhubCrossEntropy';
export const CROSS_ENTROPY_GRAD = 'TrainhubCrossEntropyGrad';
/** Softmax's gradient on wasm: inputs {dy, y} of one shape (y: the softmax's output), along the last axis. */
export const SOFTMAX_GRAD = 'TrainhubSoftmaxGrad';
/** The clip bound of the probabilities in the log (src/losses.ts; native/elementwise.c's CE_LOW/CE_HIGH). */
export const LOSS_EPS = 1e-7;

/** The addon's two calls (native/elementwise.c). `rows` x `cols` float32, row-major; `out` is written. */
export interface CrossEntropyAddon {
  crossEntropy(p: Float32Array, t: Float32Array, rows: number, cols: number, out: Float32Array): void;
  crossEntropyGrad(
    dy: Float32Array,
    p: Float32Array,
    t: Float32Array,
    rows: number,
    cols: number,
    out: Float32Array,
  ): void;
  softmaxGrad(dy: Float32Array, y: Float32Array, rows: number, cols: number, out: Float32Array): void;
}

let calls = 0;
/** How many native cross-entropy calls (loss or gradient) ran in this process (tests check the path). */
export function nativeCrossEntropyCount(): number {
  return calls;
}

function forwardKernel(addon: CrossEntropyAddon) {
  return ({ inputs, backend }: KernelArgs): tf.TensorInfo => {
    const { p, t } = inputs as { p: tf.TensorInfo; t: tf.TensorInfo };
    const b = backend as WasmBackendLike;
    const [rows, cols] = p.shape as [number, number];
    const out = b.makeOutput([rows], 'float32');
    addon.crossEntropy(f32(b, p), f32(b, t), rows, cols, f32(b, out));
    calls++;
    return out;
  };
}

function gradientKernel(addon: CrossEntropyAddon) {
  return ({ inputs, backend }: KernelArgs): tf.TensorInfo => {
    const { dy, p, t } = inputs as { dy: tf.TensorInfo; p: tf.TensorInfo; t: tf.TensorInfo };
    const b = backend as WasmBackendLike;
    const [rows, cols] = p.shape as [number, number];
    const out = b.makeOutput([rows, cols], 'float32');
    addon.crossEntropyGrad(f32(b, dy), f32(b, p), f32(b, t), rows, cols, f32(b, out));
    calls++;
    return out;
  };
}

function softmaxGradKernel(addon: CrossEntropyAddon) {
  return ({ inputs, backend }: KernelArgs): tf.TensorInfo => {
    const { dy, y } = inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
    const b = backend as WasmBackendLike;
    const cols = y.shape.at(-1)!;
    const out = b.makeOutput(y.shape, 'float32');
    addon.softmaxGrad(f32(b, dy), f32(b, y), y.shape.reduce((p, q) => p * q, 1) / cols, cols, f32(b, out));
    calls++;
    return out;
  };
}

/**
 * Softmax's gradient as one kernel on wasm (SOFTMAX_GRAD) instead of Multiply, Sum, Multiply and Sub, with
 * the same float32 steps in the same order (bit for bit). Gradients are registered per op for every
 * backend, so elsewhere, and for other dtypes, the stock formula stays.
 */
function registerSoftmaxGradient(): void {
  tf.registerGradient({
    kernelName: 'Softmax',
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [y] = saved as [tf.Tensor];
      const g = dy as tf.Tensor;
      const dim = (attrs as { dim: number }).dim;
      const native =
        tf.getBackend() === 'wasm' &&
        tf.getKernel(SOFTMAX_GRAD, 'wasm') !== undefined &&
        y.dtype === 'float32' &&
        g.dtype === 'float32' &&
        (dim === -1 || dim === y.rank - 1) &&
        y.size > 0 &&
        tf.util.arraysEqual(g.shape, y.shape);
      if (native) return { logits: () => tf.engine().runKernel(SOFTMAX_GRAD, { dy: g, y }) as tf.Tensor };
      const dyTimesY = tf.mul(g, y);
      return { logits: () => tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y)) };
    },
  });
}

/**
 * Registers the three kernels on wasm, Softmax's gradient (above) and the loss kernel's gradient (for `p` the native gradient kernel; for
 * `t`, never needed in training, the stock formula -dy * log(clip(p))). `register` is wasm-kernels' add().
 */
export function registerCrossEntropy(
  addon: CrossEntropyAddon,
  register: (name: string, kernelFunc: unknown) => void,
): void {
  register(CROSS_ENTROPY, forwardKernel(addon));
  register(CROSS_ENTROPY_GRAD, gradientKernel(addon));
  register(SOFTMAX_GRAD, softmaxGradKernel(addon));
  registerSoftmaxGradient();
  tf.registerGradient({
    kernelName: CROSS_ENTROPY,
    inputsToSave: ['p', 't'],
    gradFunc: (dy, saved) => {
      const [p, t] = saved as [tf.Tensor, tf.Tensor];
      const g = dy as tf.Tensor;
      return {
        p: () => tf.engine().runKernel(CROSS_ENTROPY_GRAD, { dy: g, p, t }) as tf.Tensor,
        t: () => tf.mul(tf.neg(tf.expandDims(g, -1)), tf.log(tf.clipByValue(p, LOSS_EPS, 1 - LOSS_EPS))),
      };
    },
  });
}

/**
 * -sum(t * log(clip(p, eps, 1 - eps)), -1) as one native kernel, or null where it does not apply (another
 * backend, the addon or TRAINHUB_ML_NATIVE_CONV=0 switched it off, p not float32 [rows, cols], t of
 * another shape):
 * the caller then runs the stock chain. Same values as the chain up to logf's rounding (< 1 ulp apart).
 */
export function nativeCrossEntropy(p: tf.Tensor, t: tf.Tensor): tf.Tensor1D | null {
  if (
    tf.getBackend() !== 'wasm' ||
    tf.getKernel(CROSS_ENTROPY, 'wasm') === undefined ||
    p.dtype !== 'float32' ||
    t.dtype === 'complex64' ||
    p.rank !== 2 ||
    !tf.util.arraysEqual(p.shape, t.shape) ||
    p.size === 0
  )
    return null;
  // An int32 target (tf.oneHot's) is multiplied as float32 by the stock chain too.
  const target = t.dtype === 'float32' ? t : tf.cast(t, 'float32');
  return tf.engine().runKernel(CROSS_ENTROPY, { p, t: target }) as tf.Tensor1D;
}
