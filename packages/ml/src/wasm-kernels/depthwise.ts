import * as tf from '@tensorflow/tfjs';
import { f32, type KernelArgs, type WasmBackendLike } from './util.ts';

type Attrs = {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/** DepthwiseConv2dNativeBackpropFilter for wasm (direct loops over the heap, same math as the cpu backend). */
export function depthwiseBackpropFilter({ inputs, backend: b, attrs }: KernelArgs): tf.TensorInfo {
  const backend = b as WasmBackendLike;
  const x = inputs.x!;
  const dy = inputs.dy!;
  const a = attrs as Attrs & { filterShape: [number, number, number, number] };
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    a.filterShape,
    a.strides,
    a.dilations,
    a.pad,
    a.dimRoundingMode,
    true,
  );
  const {
    strideHeight: SH,
    strideWidth: SW,
    filterHeight: KH,
    filterWidth: KW,
    dilationHeight: DH,
    dilationWidth: DW,
  } = info;
  const {
    batchSize: N,
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight: OH,
    outWidth: OW,
    outChannels: CO,
  } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const chMul = CO / C;
  const outInfo = backend.makeOutput(a.filterShape, 'float32');
  const dW = f32(backend, outInfo);
  const xs = f32(backend, x);
  const dys = f32(backend, dy);
  dW.fill(0);
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      for (let n = 0; n < N; n++) {
        for (let oy = 0; oy < OH; oy++) {
          const iy = oy * SH + kh * DH - top;
          if (iy < 0 || iy >= H) continue;
          for (let ox = 0; ox < OW; ox++) {
            const ix = ox * SW + kw * DW - left;
            if (ix < 0 || ix >= W) continue;
            const xo = ((n * H + iy) * W + ix) * C;
            const dyo = ((n * OH + oy) * OW + ox) * CO;
            const wo = (kh * KW + kw) * C * chMul;
            for (let c = 0; c < C; c++) {
              const xv = xs[xo + c]!;
              for (let m = 0; m < chMul; m++) dW[wo + c * chMul + m]! += xv * dys[dyo + c * chMul + m]!;
            }
          }
        }
      }
    }
  }
  return outInfo;
}

/** DepthwiseConv2dNativeBackpropInput for wasm. */
export function depthwiseBackpropInput({ inputs, backend: b, attrs }: KernelArgs): tf.TensorInfo {
  const backend = b as WasmBackendLike;
  const dy = inputs.dy!;
  const filter = inputs.filter!;
  const a = attrs as Attrs & { inputShape: [number, number, number, number] };
  const info = tf.backend_util.computeConv2DInfo(
    a.inputShape,
    filter.shape as [number, number, number, number],
    a.strides,
    a.dilations,
    a.pad,
    a.dimRoundingMode,
    true,
  );
  const {
    strideHeight: SH,
    strideWidth: SW,
    filterHeight: KH,
    filterWidth: KW,
    dilationHeight: DH,
    dilationWidth: DW,
  } = info;
  const {
    batchSize: N,
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight: OH,
    outWidth: OW,
    outChannels: CO,
  } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const chMul = CO / C;
  const outInfo = backend.makeOutput(a.inputShape, 'float32');
  const dx = f32(backend, outInfo);
  const dys = f32(backend, dy);
  const w = f32(backend, filter);
  dx.fill(0);
  // Scatter form: every (output position, tap) adds dy * w to the input position it read.
  for (let n = 0; n < N; n++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const dyo = ((n * OH + oy) * OW + ox) * CO;
        for (let kh = 0; kh < KH; kh++) {
          const iy = oy * SH + kh * DH - top;
          if (iy < 0 || iy >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const ix = ox * SW + kw * DW - left;
            if (ix < 0 || ix >= W) continue;
            const xo = ((n * H + iy) * W + ix) * C;
            const wo = (kh * KW + kw) * C * chMul;
            for (let c = 0; c < C; c++) {
              let s = 0;
              for (let m = 0; m < chMul; m++) s += dys[dyo + c * chMul + m]! * w[wo + c * chMul + m]!;
              dx[xo + c]! += s;
            }
          }
        }
      }
    }
  }
  return outInfo;
}

/** UnsortedSegmentSum for wasm (the gradient of Gather, e.g. embeddings). */
export function unsortedSegmentSum({ inputs, backend: b, attrs }: KernelArgs): tf.TensorInfo {
  const backend = b as WasmBackendLike;
  const x = inputs.x!;
  const ids = inputs.segmentIds!;
  const { numSegments } = attrs as { numSegments: number };
  const inner = x.shape.slice(ids.shape.length).reduce((p, q) => p * q, 1);
  const count = ids.shape.reduce((p, q) => p * q, 1);
  const outInfo = backend.makeOutput([numSegments, ...x.shape.slice(ids.shape.length)], x.dtype);
  const out = backend.typedArrayFromHeap(outInfo);
  const xs = backend.typedArrayFromHeap(x);
  const idv = backend.typedArrayFromHeap(ids);
  out.fill(0);
  for (let i = 0; i < count; i++) {
    const s = idv[i]!;
    if (s < 0 || s >= numSegments) continue;
    for (let j = 0; j < inner; j++) out[s * inner + j]! += xs[i * inner + j]!;
  }
  return outInfo;
}
