import * as tf from '@tensorflow/tfjs';
import { alias, callKernel, f32, type KernelArgs, type WasmBackendLike } from './util.ts';

/**
 * Conv2DBackpropFilter for wasm (missing upstream, so conv1d/conv2d could not train): im2col of the input
 * written in JS straight into the wasm heap as [KH*KW*Cin, N*OH*OW], then one XNNPack MatMul with dy
 * [N*OH*OW, Cout] gives dW [KH, KW, Cin, Cout].
 */
export function conv2DBackpropFilter({ inputs, backend: b, attrs }: KernelArgs): tf.TensorInfo {
  const backend = b as WasmBackendLike;
  const x = inputs.x!;
  const dy = inputs.dy!;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as {
    strides: [number, number] | number;
    pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const { dilationHeight: DH, dilationWidth: DW } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const K = KH * KW * C;
  const M = N * OH * OW;
  const colsInfo = backend.makeOutput([1, K, M], 'float32');
  const cols = f32(backend, colsInfo);
  const xs = f32(backend, x);
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      for (let c = 0; c < C; c++) {
        let o = ((kh * KW + kw) * C + c) * M;
        for (let n = 0; n < N; n++) {
          for (let oy = 0; oy < OH; oy++) {
            const iy = oy * SH + kh * DH - top;
            if (iy < 0 || iy >= H) {
              cols.fill(0, o, o + OW);
              o += OW;
              continue;
            }
            const rowBase = (n * H + iy) * W;
            for (let ox = 0; ox < OW; ox++) {
              const ix = ox * SW + kw * DW - left;
              cols[o++] = ix >= 0 && ix < W ? xs[(rowBase + ix) * C + c]! : 0;
            }
          }
        }
      }
    }
  }
  const out = callKernel('BatchMatMul', { a: colsInfo, b: alias(dy, [1, M, info.outChannels]) }, backend, {
    transposeA: false,
    transposeB: false,
  });
  backend.disposeData(colsInfo.dataId);
  return alias(out, [KH, KW, C, info.outChannels]);
}
