import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilter } from './conv2d-backprop-filter.ts';
import { depthwiseBackpropFilter, depthwiseBackpropInput, unsortedSegmentSum } from './depthwise.ts';
import { blasMatMul, loadBlas } from './blas-matmul.ts';
import { fastTransposedMatMul } from './matmul.ts';
import { fastConv2DBackpropInput } from './conv2d-backprop-input.ts';
import { maxPoolGrad } from './max-pool-grad.ts';

let registered = false;

/**
 * Register the gradient kernels stock tfjs-backend-wasm lacks, the transposed-MatMul fast path, and, when
 * the native OpenBLAS binding is built, matrix products through OpenBLAS.
 * Call after `@tensorflow/tfjs-backend-wasm` is imported. Idempotent.
 */
export function registerWasmKernels(): void {
  if (registered) return;
  const add = (kernelName: string, kernelFunc: unknown) => {
    const previous = tf.getKernel(kernelName, 'wasm');
    if (previous) tf.unregisterKernel(kernelName, 'wasm');
    // Keep the stock setupFunc (it binds the wasm functions when the backend initializes).
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      kernelFunc: kernelFunc as tf.KernelFunc,
      setupFunc: previous?.setupFunc,
    });
  };
  add('Conv2DBackpropFilter', conv2DBackpropFilter);
  add('DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter);
  add('DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput);
  add('UnsortedSegmentSum', unsortedSegmentSum);
  add('MaxPoolGrad', maxPoolGrad);
  const backpropInput = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (backpropInput) add('Conv2DBackpropInput', fastConv2DBackpropInput(backpropInput.kernelFunc));
  const blas = loadBlas();
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    const original = tf.getKernel(name, 'wasm');
    if (!original) continue;
    const wasmOnly = fastTransposedMatMul(original.kernelFunc) as tf.KernelFunc;
    add(name, blas ? blasMatMul(blas, wasmOnly) : wasmOnly);
  }
  registered = true;
}
