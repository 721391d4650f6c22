import * as tf from '@tensorflow/tfjs';
import { callKernel, f32, type KernelArgs, type WasmBackendLike } from './util.ts';

/**
 * Faster Conv2DBackpropInput for wasm when strides and dilations are 1 (the common case): dx is the
 * convolution of dy (padded by KH-1-top etc.) with the filter rotated 180 degrees and its in/out channels
 * swapped, run by the XNNPack Conv2D kernel (the stock wasm kernel is a slow direct loop, ~5x slower).
 * Other strides/dilations use the stock kernel.
 */
export function fastConv2DBackpropInput(original: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { inputs, attrs } = args;
    const backend = args.backend as WasmBackendLike;
    const dy = inputs.dy!;
    const filter = inputs.filter!;
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as {
      strides: [number, number] | number;
      pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
      dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      inputShape: [number, number, number, number];
    };
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const { filterHeight: KH, filterWidth: KW, inChannels: CI, outChannels: CO } = info;
    const { top, bottom, left, right } = info.padInfo;
    const padT = KH - 1 - top;
    const padB = KH - 1 - bottom;
    const padL = KW - 1 - left;
    const padR = KW - 1 - right;
    if (
      dataFormat === 'NCHW' ||
      info.strideHeight !== 1 ||
      info.strideWidth !== 1 ||
      Math.min(padT, padB, padL, padR) < 0
    ) {
      return original(args as never) as tf.TensorInfo;
    }
    const rotInfo = backend.makeOutput([KH, KW, CO, CI], 'float32');
    const rot = f32(backend, rotInfo);
    const w = f32(backend, filter);
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const src = ((KH - 1 - kh) * KW + (KW - 1 - kw)) * CI * CO;
        const dst = (kh * KW + kw) * CO * CI;
        for (let ci = 0; ci < CI; ci++) {
          for (let co = 0; co < CO; co++) rot[dst + co * CI + ci] = w[src + ci * CO + co]!;
        }
      }
    }
    const dx = callKernel('Conv2D', { x: dy, filter: rotInfo }, backend, {
      strides: 1,
      pad: [
        [0, 0],
        [padT, padB],
        [padL, padR],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: 1,
      dimRoundingMode,
    });
    backend.disposeData(rotInfo.dataId);
    return dx;
  };
}
