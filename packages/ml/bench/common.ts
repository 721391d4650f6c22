import { Rng } from '../src/random.ts';
import type { Dataset } from '../src/data/types.ts';

/** Synthetic classification data with learnable structure (class c brightens a band of features). */
export function synthetic(n: number, shape: number[], classes = 10, seed = 1): Dataset {
  const width = shape.reduce((a, b) => a * b, 1);
  const rng = new Rng(seed);
  const features = new Float32Array(n * width);
  const indices = new Int32Array(n);
  const band = Math.floor(width / classes);
  for (let i = 0; i < n; i++) {
    const c = rng.int(classes);
    indices[i] = c;
    const row = i * width;
    for (let j = 0; j < width; j++) features[row + j] = rng.next() * 0.5;
    for (let j = c * band; j < (c + 1) * band; j++) features[row + j] = features[row + j]! + 0.5;
  }
  return {
    numSamples: n,
    sampleShape: shape,
    featureNames: Array.from({ length: width }, (_, j) => `p${j}`),
    features,
    labels: {
      kind: 'categorical',
      column: 'label',
      classNames: Array.from({ length: classes }, (_, c) => String(c)),
      indices,
    },
  };
}

export const MLP_SPEC = {
  input: { shape: [784] },
  layers: [
    { type: 'dense', units: 256, activation: 'relu' },
    { type: 'dense', units: 128, activation: 'relu' },
  ],
};

export const CNN_SPEC = {
  input: { shape: [28, 28, 1] },
  layers: [
    { type: 'conv2d', filters: 16, kernelSize: 3, pool: { type: 'max', size: 2 } },
    { type: 'conv2d', filters: 32, kernelSize: 3, pool: { type: 'max', size: 2 } },
    { type: 'flatten' },
  ],
};

/**
 * A time-series classifier of the size Edge Impulse projects use: 650 features (e.g. 50 frames x 13 MFCC)
 * reshaped to 50x13, two conv1d (8 and 16 filters, kernel 3, relu) each with max pooling 2, dense head.
 */
export const CONV1D_SPEC = {
  input: { shape: [650] },
  layers: [
    { type: 'reshape', columns: 13 },
    { type: 'conv1d', filters: 8, kernelSize: 3, pool: { type: 'max', size: 2 } },
    { type: 'conv1d', filters: 16, kernelSize: 3, pool: { type: 'max', size: 2 } },
    { type: 'flatten' },
  ],
};

export const mib = (bytes: number) => bytes / 1024 / 1024;
/** Peak resident set size of this process so far, bytes (maxRSS is in KiB on Linux). */
export const peakRss = () => process.resourceUsage().maxRSS * 1024;

/** The models bench/train.ts compares with PyTorch (torch_reference.py builds the same ones). */
export const BENCH_MODELS = {
  mlp: { spec: MLP_SPEC, shape: [784], label: 'MLP 784-256-128-10' },
  cnn: { spec: CNN_SPEC, shape: [28, 28, 1], label: 'CNN conv16-pool-conv32-pool-dense10' },
  conv1d: { spec: CONV1D_SPEC, shape: [650], label: 'Conv1D 50x13 conv8-pool-conv16-pool-dense10' },
};
export type BenchModel = keyof typeof BENCH_MODELS;
