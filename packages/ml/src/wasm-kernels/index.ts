import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilter } from './conv2d-backprop-filter.ts';
import { depthwiseBackpropFilter, depthwiseBackpropInput, unsortedSegmentSum } from './depthwise.ts';
import { blasMatMul, loadBlas } from './blas-matmul.ts';
import { acceptRank2Operands, registerFusedDenseGradient } from './fused-dense.ts';
import { fastTransposedMatMul } from './matmul.ts';
import { fastConv2DBackpropInput } from './conv2d-backprop-input.ts';
import { maxPoolGrad } from './max-pool-grad.ts';
import {
  nativeConv2D,
  nativeConv2DBackpropFilter,
  nativeConv2DBackpropInput,
  type ConvAddon,
} from './native-conv.ts';
import {
  nativeBiasAdd,
  nativeLeadingSum,
  nativeReluGrad,
  registerReluGradient,
  RELU_GRAD,
} from './native-elementwise.ts';
import { registerCrossEntropy, type CrossEntropyAddon } from './native-loss.ts';
import { nativeAvgPool, nativeAvgPoolGrad, nativeMaxPoolGrad } from './native-pool.ts';
import { registerSliceKernels } from './slice.ts';
import type { KernelArgs } from './util.ts';

let registered = false;

/** Replaces the wasm kernel `kernelName`, keeping the stock setupFunc (it binds the wasm functions). */
function add(kernelName: string, kernelFunc: unknown): void {
  const previous = tf.getKernel(kernelName, 'wasm');
  if (previous) tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    kernelFunc: kernelFunc as tf.KernelFunc,
    setupFunc: previous?.setupFunc,
  });
}

/**
 * Identity (tf.clone, and every tensor the gradient tape saves) shares its input's data, as the cpu
 * backend's does, instead of copying it (three copies of each conv activation per CNN step). Tensors are
 * immutable; the one in-place writer, the fused optimizer update, checks the data's reference count.
 */
function sharedIdentity({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const x = inputs.x!;
  (backend as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * Convolutions, pooling gradients and forward average pooling, bias add and gradient, the relu gradient
 * and the categorical cross-entropy and softmax gradients in the addon (TRAINHUB_ML_NATIVE_CONV=0: off). Each wraps the kernel registered so far, which
 * takes what the native one does not. XNNPack's max-pooling forward stays: it was faster than ours.
 */
function registerNativeKernels(addon: ConvAddon): void {
  const wrap = (name: string, make: (addon: ConvAddon, fallback: tf.KernelFunc) => unknown) => {
    const previous = tf.getKernel(name, 'wasm');
    if (previous) add(name, make(addon, previous.kernelFunc));
  };
  wrap('Conv2D', nativeConv2D);
  wrap('FusedConv2D', nativeConv2D);
  wrap('Conv2DBackpropInput', nativeConv2DBackpropInput);
  wrap('Conv2DBackpropFilter', nativeConv2DBackpropFilter);
  wrap('MaxPoolGrad', nativeMaxPoolGrad);
  wrap('AvgPool', nativeAvgPool);
  wrap('AvgPoolGrad', nativeAvgPoolGrad);
  wrap('Add', nativeBiasAdd);
  wrap('Sum', nativeLeadingSum);
  add(RELU_GRAD, nativeReluGrad(addon));
  registerReluGradient();
  const loss = addon as Partial<CrossEntropyAddon>;
  if (loss.crossEntropy && loss.softmaxGrad) registerCrossEntropy(loss as CrossEntropyAddon, add);
}

/**
 * Register the gradient kernels stock tfjs-backend-wasm lacks, the transposed-MatMul fast path, a sharing
 * Identity, the fused dense layer's gradient (fused-dense.ts; TRAINHUB_ML_FUSED_DENSE=0: off) and, when
 * the native OpenBLAS binding is built, matrix products through OpenBLAS and the native kernels above
 * (native/*.c).
 * Call after `@tensorflow/tfjs-backend-wasm` is imported. Idempotent.
 */
export function registerWasmKernels(): void {
  if (registered) return;
  add('Identity', sharedIdentity);
  registerSliceKernels(add);
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
    const kernel = blas ? blasMatMul(blas, wasmOnly) : wasmOnly;
    add(name, name === '_FusedMatMul' ? acceptRank2Operands(kernel as tf.KernelFunc) : kernel);
  }
  if (process.env.TRAINHUB_ML_FUSED_DENSE !== '0') registerFusedDenseGradient();
  const conv = blas as unknown as Partial<ConvAddon> | null;
  if (conv?.reluGrad && process.env.TRAINHUB_ML_NATIVE_CONV !== '0') registerNativeKernels(conv as ConvAddon);
  registered = true;
}
