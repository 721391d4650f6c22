import * as tf from '@tensorflow/tfjs';
import { f32, type KernelArgs, type WasmBackendLike } from './util.ts';

/**
 * MaxPoolGrad for wasm in one pass over the heap (the stock kernel was the CNN's next bottleneck): each
 * output's gradient goes to the first maximum of its window, in the same order as the cpu backend.
 */
export function maxPoolGrad({ inputs, backend: b, attrs }: KernelArgs): tf.TensorInfo {
  const backend = b as WasmBackendLike;
  const dy = inputs.dy!;
  const input = inputs.input!;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as {
    filterSize: [number, number] | number;
    strides: [number, number] | number;
    pad: 'same' | 'valid' | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const outInfo = backend.makeOutput(input.shape, 'float32');
  const dx = f32(backend, outInfo);
  const x = f32(backend, input);
  const g = f32(backend, dy);
  dx.fill(0);
  // Channels innermost (contiguous in NHWC): per output position keep the best value and its offset per
  // channel while scanning the window in row-major order; strict '>' keeps the first maximum.
  const bestV = new Float32Array(C);
  const bestAt = new Int32Array(C);
  for (let n = 0; n < N; n++) {
    for (let oy = 0; oy < OH; oy++) {
      const y0 = oy * SH - top;
      const yStart = Math.max(0, y0);
      const yEnd = Math.min(H, y0 + FH);
      for (let ox = 0; ox < OW; ox++) {
        const x0 = ox * SW - left;
        const xStart = Math.max(0, x0);
        const xEnd = Math.min(W, x0 + FW);
        const go = ((n * OH + oy) * OW + ox) * C;
        if (yStart >= yEnd || xStart >= xEnd) continue;
        const first = ((n * H + yStart) * W + xStart) * C;
        for (let c = 0; c < C; c++) {
          bestV[c] = x[first + c]!;
          bestAt[c] = first + c;
        }
        for (let y = yStart; y < yEnd; y++) {
          for (let xx = y === yStart ? xStart + 1 : xStart; xx < xEnd; xx++) {
            const p = ((n * H + y) * W + xx) * C;
            for (let c = 0; c < C; c++) {
              const v = x[p + c]!;
              if (v > bestV[c]!) {
                bestV[c] = v;
                bestAt[c] = p + c;
              }
            }
          }
        }
        for (let c = 0; c < C; c++) dx[bestAt[c]!] = dx[bestAt[c]!]! + g[go + c]!;
      }
    }
  }
  return outInfo;
}
