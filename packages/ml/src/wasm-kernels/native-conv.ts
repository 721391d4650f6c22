import * as tf from '@tensorflow/tfjs';
import { f32, type KernelArgs, type WasmBackendLike } from './util.ts';

// Convolutions of the wasm backend in the native addon (native/conv.c): im2col / col2im in C and the
// products in OpenBLAS (a filter gradient with few input channels: a direct loop), instead of XNNPack's one-thread 128-bit SIMD
// and our JS kernels. Conv1D runs through these too (TensorFlow.js expresses it as a Conv2D). Every kernel takes
// float32 NHWC only and hands anything else (NCHW, other dtypes, prelu / leaky relu / other fused
// activations) to the kernel it replaces; without the addon none of them is registered.

/** The addon's convolution functions (native/conv.c). */
export interface ConvAddon {
  conv2d(
    geometry: Int32Array,
    x: Float32Array,
    w: Float32Array,
    y: Float32Array,
    bias: Float32Array | null,
    relu: boolean,
  ): void;
  conv2dGradInput(geometry: Int32Array, dy: Float32Array, w: Float32Array, dx: Float32Array): void;
  conv2dGradFilter(geometry: Int32Array, x: Float32Array, dy: Float32Array, dw: Float32Array): void;
  maxPool(
    geometry: Int32Array,
    x: Float32Array,
    y: Float32Array | null,
    dy: Float32Array | null,
    dx: Float32Array | null,
  ): void;
  avgPool(geometry: Int32Array, x: Float32Array, y: Float32Array): void;
  avgPoolGrad(geometry: Int32Array, dy: Float32Array, dx: Float32Array): void;
  biasAdd(x: Float32Array, bias: Float32Array, rows: number, cols: number, out: Float32Array): void;
  leadingSum(x: Float32Array, rows: number, cols: number, out: Float32Array): void;
  reluGrad(dy: Float32Array, x: Float32Array, n: number, out: Float32Array): void;
}

// The forward of convolutions with fewer input channels stays with XNNPack: measured faster for a 28x28x1
// input (1.4 vs 1.9 ms for a direct loop, more for im2col). Their filter gradient runs natively, directly.
const MIN_CHANNELS = 4;

let calls = 0;
/** How many native convolution, pooling, bias and relu-gradient calls ran in this process (tests check
 * the path). */
export function nativeConvCount(): number {
  return calls;
}

/** Counts one native call (native-pool.ts, native-elementwise.ts). */
export function countNativeCall(): void {
  calls++;
}

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
type ConvAttrs = {
  strides: [number, number] | number;
  pad: Pad;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/** N, H, W, C, KH, KW, SH, SW, DH, DW, top, left, OH, OW, CO (native/common.h's Geometry). */
export function geometry(info: tf.backend_util.Conv2DInfo): Int32Array {
  return Int32Array.of(
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    info.padInfo.top,
    info.padInfo.left,
    info.outHeight,
    info.outWidth,
    info.outChannels,
  );
}

export const float32 = (...xs: (tf.TensorInfo | undefined)[]) => xs.every((x) => !x || x.dtype === 'float32');
const nhwc = (attrs: ConvAttrs) => (attrs.dataFormat ?? 'NHWC') === 'NHWC';
export const rank4 = (info: tf.TensorInfo) => info.shape.length === 4;

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
  dilations: [number, number] | number = 1,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/** Conv2D and FusedConv2D (bias; linear or relu) forward. */
export function nativeConv2D(addon: ConvAddon, fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { x, filter, bias, preluActivationWeights } = args.inputs;
    const attrs = args.attrs as ConvAttrs & { activation?: string };
    const activation = attrs.activation ?? 'linear';
    if (
      !x ||
      !filter ||
      !rank4(x) ||
      !float32(x, filter, bias) ||
      !nhwc(attrs) ||
      preluActivationWeights ||
      (activation !== 'linear' && activation !== 'relu') ||
      (bias && bias.shape.reduce((a, b) => a * b, 1) !== filter.shape[3]) ||
      x.shape[3]! < MIN_CHANNELS
    )
      return fallback(args as never) as tf.TensorInfo;
    const info = convInfo(x.shape, filter.shape, attrs, attrs.dilations ?? 1);
    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput(info.outShape, 'float32');
    addon.conv2d(
      geometry(info),
      f32(backend, x),
      f32(backend, filter),
      f32(backend, out),
      bias ? f32(backend, bias) : null,
      activation === 'relu',
    );
    calls++;
    return out;
  };
}

/** Conv2DBackpropInput: dx from dy and the filter. */
export function nativeConv2DBackpropInput(addon: ConvAddon, fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { dy, filter } = args.inputs;
    const attrs = args.attrs as ConvAttrs & { inputShape: number[] };
    if (!dy || !filter || !rank4(dy) || !float32(dy, filter) || !nhwc(attrs))
      return fallback(args as never) as tf.TensorInfo;
    const info = convInfo(attrs.inputShape, filter.shape, attrs);
    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput(attrs.inputShape, 'float32');
    addon.conv2dGradInput(geometry(info), f32(backend, dy), f32(backend, filter), f32(backend, out));
    calls++;
    return out;
  };
}

/** Conv2DBackpropFilter: dW from x and dy. */
export function nativeConv2DBackpropFilter(addon: ConvAddon, fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { x, dy } = args.inputs;
    const attrs = args.attrs as ConvAttrs & { filterShape: number[] };
    if (!x || !dy || !rank4(x) || !float32(x, dy) || !nhwc(attrs))
      return fallback(args as never) as tf.TensorInfo;
    const info = convInfo(x.shape, attrs.filterShape, attrs);
    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput(attrs.filterShape, 'float32');
    addon.conv2dGradFilter(geometry(info), f32(backend, x), f32(backend, dy), f32(backend, out));
    calls++;
    return out;
  };
}
