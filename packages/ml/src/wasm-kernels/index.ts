import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilter } from './conv2d-backprop-filter.ts';
import { depthwiseBackpropFilter, depthwiseBackpropInput, unsortedSegmentSum } from './depthwise.ts';
import { blasMatMul, loadBlas } from './blas-matmul.ts';
import { fastTransposedMatMul } from './matmul.ts';
import { fastConv2DBackpropInput } from './conv2d-backprop-input.ts';
import { maxPoolGrad } from './max-pool-grad.ts';
import {
  nativeConv2D,
  nativeConv2DBackpropFilter,
  nativeConv2DBackpropInput,
  nativeLeadingSum,
  nativeMaxPoolGrad,
  type ConvAddon,
} from './native-conv.ts';

let registered = false;

/**
 * Register the gradient kernels stock tfjs-backend-wasm lacks, the transposed-MatMul fast path, and, when
 * the native OpenBLAS binding is built, matrix products through OpenBLAS and convolutions, max pooling and
 * bias-gradient sums in the addon (native/conv.c).
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
  // Convolutions, the max-pooling gradient and bias-gradient sums in the addon (TRAINHUB_ML_NATIVE_CONV=0:
  // off; XNNPack's max-pooling forward was faster than ours). Each wraps the kernel registered so far,
  // which takes what the native one does not.
  const conv = blas as unknown as Partial<ConvAddon> | null;
  if (conv?.conv2d && process.env.TRAINHUB_ML_NATIVE_CONV !== '0') {
    const addon = conv as ConvAddon;
    const wrap = (name: string, make: (addon: ConvAddon, fallback: tf.KernelFunc) => unknown) => {
      const previous = tf.getKernel(name, 'wasm');
      if (previous) add(name, make(addon, previous.kernelFunc));
    };
    wrap('Conv2D', nativeConv2D);
    wrap('FusedConv2D', nativeConv2D);
    wrap('Conv2DBackpropInput', nativeConv2DBackpropInput);
    wrap('Conv2DBackpropFilter', nativeConv2DBackpropFilter);
    wrap('MaxPoolGrad', nativeMaxPoolGrad);
    wrap('Sum', nativeLeadingSum);
  }
  registered = true;
}
