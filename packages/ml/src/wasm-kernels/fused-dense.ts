import * as tf from '@tensorflow/tfjs';
import { reluBackward } from './native-elementwise.ts';
import { alias, type KernelArgs } from './util.ts';

// A dense layer's training step as one product kernel each way. While it records gradients TensorFlow.js
// does not fuse: tf.fused.matMul falls back to BatchMatMul, a broadcast Add and a Relu (three kernels and
// five saved tensors forward; Reshape, Sum, Reshape and the relu gradient backward), and its linear fused
// path (customGrad) computes every input's gradient, needed or not. Here the forward is one
// `_FusedMatMul` (product, bias and relu in OpenBLAS and the addon on wasm: blas-matmul.ts) and its
// registered gradient gives each input's gradient lazily, so the engine asks only for the ones it needs.

const FUSED_MATMUL = '_FusedMatMul';
let gradientRegistered = false;

interface FusedMatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation: string;
}

/**
 * The gradient of `_FusedMatMul` for rank-2 operands with a bias of shape [n] and a linear or relu
 * activation (what `denseForward` runs). tfjs registers none: its fused op records a customGrad instead,
 * so only direct `runKernel('_FusedMatMul')` calls, ours, reach this one. Idempotent.
 */
export function registerFusedDenseGradient(): void {
  if (gradientRegistered) return;
  tf.registerGradient({
    kernelName: FUSED_MATMUL,
    inputsToSave: ['a', 'b'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [a, b, y] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const { transposeA, transposeB, activation } = attrs as unknown as FusedMatMulAttrs;
      if (a.rank !== 2 || b.rank !== 2)
        throw new Error(`_FusedMatMul gradient: rank-2 operands only, got ${a.rank} and ${b.rank}`);
      if (activation !== 'linear' && activation !== 'relu')
        throw new Error(`_FusedMatMul gradient: no gradient for the fused activation ${activation}`);
      // dz: the gradient before the activation (the relu's output has its input's sign).
      const dz = activation === 'relu' ? reluBackward(dy as tf.Tensor, y) : (dy as tf.Tensor2D);
      // y = op(A) op(B) + bias: dA, dB as tfjs's fused matMul gradient (ops/fused/mat_mul.ts) gives them.
      return {
        a: () => (transposeA ? tf.matMul(b, dz, transposeB, true) : tf.matMul(dz, b, false, !transposeB)),
        b: () => (transposeB ? tf.matMul(dz, a, true, transposeA) : tf.matMul(a, dz, !transposeA, false)),
        bias: () => tf.sum(dz, 0),
      };
    },
  });
  gradientRegistered = true;
}

/** Whether `denseForward` runs the fused kernel here: the wasm backend with the gradient above. */
export function fusedDenseAvailable(): boolean {
  return gradientRegistered && tf.getBackend() === 'wasm';
}

/**
 * act(x W + bias) for x [batch, inputs], W [inputs, units], bias [units] or null, act linear or relu, as
 * one `_FusedMatMul` kernel recorded with the lazy gradient above. Call only when `fusedDenseAvailable()`.
 */
export function denseForward(
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D | null,
  activation: 'linear' | 'relu',
): tf.Tensor2D {
  const inputs: Record<string, tf.Tensor> = { a: x, b: kernel };
  if (bias) inputs.bias = bias;
  const attrs = { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0.2 };
  return tf.engine().runKernel(FUSED_MATMUL, inputs, attrs as never) as tf.Tensor2D;
}

/**
 * Wraps the wasm `_FusedMatMul` kernel to take rank-2 operands (as `denseForward` passes them): the stock
 * kernel reads a and b as [batch, rows, cols] (tf.fused.matMul always reshapes to rank 3), so they are
 * viewed as one batch and the result viewed back; nothing is copied.
 */
export function acceptRank2Operands(kernel: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { a, b } = args.inputs;
    if (a?.shape.length !== 2 || b?.shape.length !== 2) return kernel(args as never) as tf.TensorInfo;
    const inputs = { ...args.inputs, a: alias(a, [1, ...a.shape]), b: alias(b, [1, ...b.shape]) };
    const out = kernel({ ...args, inputs } as never) as tf.TensorInfo;
    return alias(out, out.shape.slice(1));
  };
}
