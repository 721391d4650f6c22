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
  const CO = info.outChannels;
  if (SH === 1 && SW === 1 && C >= 4) return stride1(backend, x, dy, info);
  // im2col, transposed: cols [K, M] with K ordered (kh, kw, c), so one XNNPack MatMul with dy [M, CO]
  // (the smaller operand, packed as the right-hand side) gives dW. Inner loops run over the valid output
  // columns of each tap without branches; padding columns are zero-filled.
  const colsInfo = backend.makeOutput([1, K, M], 'float32');
  const cols = f32(backend, colsInfo);
  const xs = f32(backend, x);
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      // output columns ox whose input column ix = ox*SW + kw*DW - left lies in [0, W)
      const off = kw * DW - left;
      const oxStart = Math.min(OW, Math.max(0, Math.ceil(-off / SW)));
      const oxEnd = Math.max(oxStart, Math.min(OW, Math.floor((W - 1 - off) / SW) + 1));
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
            if (oxStart > 0) cols.fill(0, o, o + oxStart);
            let p = ((n * H + iy) * W + oxStart * SW + off) * C + c;
            const step = SW * C;
            const end = o + oxEnd;
            for (let q = o + oxStart; q < end; q++, p += step) cols[q] = xs[p]!;
            if (oxEnd < OW) cols.fill(0, o + oxEnd, o + OW);
            o += OW;
          }
        }
      }
    }
  }
  const out = callKernel('BatchMatMul', { a: colsInfo, b: alias(dy, [1, M, CO]) }, backend, {
    transposeA: false,
    transposeB: false,
  });
  backend.disposeData(colsInfo.dataId);
  return alias(out, [KH, KW, C, CO]);
}

/**
 * Stride-1 fast path without a strided im2col: x is zero-padded and laid out channel-major as
 * xp [C, N*Hp*Wp (+ tail)], dy is spread on the same padded grid as dyp [N*Hp*Wp, Cout] (zeros off the
 * output positions). The input patch of tap (kh, kw) for every grid position is then xp shifted by one
 * offset, so each im2col row is a single contiguous copy; one MatMul gives dW.
 */
function stride1(
  backend: WasmBackendLike,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: KH, filterWidth: KW, dilationHeight: DH, dilationWidth: DW, outChannels: CO } = info;
  const { top, left, bottom, right } = info.padInfo;
  const Hp = Math.max(H + top + bottom, OH + (KH - 1) * DH);
  const Wp = Math.max(W + left + right, OW + (KW - 1) * DW);
  const G = N * Hp * Wp;
  const L = G + (KH - 1) * DH * Wp + (KW - 1) * DW;
  const K = KH * KW * C;
  const xpInfo = backend.makeOutput([C, L], 'float32');
  const dypInfo = backend.makeOutput([1, G, CO], 'float32');
  const colsInfo = backend.makeOutput([1, K, G], 'float32');
  const xp = f32(backend, xpInfo);
  const dyp = f32(backend, dypInfo);
  const cols = f32(backend, colsInfo);
  const xs = f32(backend, x);
  const dys = f32(backend, dy);
  xp.fill(0);
  for (let n = 0; n < N; n++) {
    for (let y = 0; y < H; y++) {
      const rowOut = (n * Hp + y + top) * Wp + left;
      let src = (n * H + y) * W * C;
      for (let xx = 0; xx < W; xx++) {
        for (let c = 0; c < C; c++) xp[c * L + rowOut + xx] = xs[src++]!;
      }
    }
  }
  dyp.fill(0);
  const rowLen = OW * CO;
  for (let n = 0; n < N; n++) {
    for (let oy = 0; oy < OH; oy++) {
      const src = (n * OH + oy) * rowLen;
      dyp.set(dys.subarray(src, src + rowLen), (n * Hp + oy) * Wp * CO);
    }
  }
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const off = kh * DH * Wp + kw * DW;
      for (let c = 0; c < C; c++) {
        const start = c * L + off;
        cols.set(xp.subarray(start, start + G), ((kh * KW + kw) * C + c) * G);
      }
    }
  }
  backend.disposeData(xpInfo.dataId);
  const out = callKernel('BatchMatMul', { a: colsInfo, b: dypInfo }, backend, {
    transposeA: false,
    transposeB: false,
  });
  backend.disposeData(colsInfo.dataId);
  backend.disposeData(dypInfo.dataId);
  return alias(out, [KH, KW, C, CO]);
}
