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
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let at = -1;
          for (let y = yStart; y < yEnd; y++) {
            let p = ((n * H + y) * W + xStart) * C + c;
            for (let xx = xStart; xx < xEnd; xx++, p += C) {
              const v = x[p]!;
              if (v > best || at < 0) {
                best = v;
                at = p;
              }
            }
          }
          if (at >= 0) dx[at] = dx[at]! + g[go + c]!;
        }
      }
    }
  }
  return outInfo;
}
