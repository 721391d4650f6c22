import { Rng } from '../src/random.ts';
import type { Dataset } from '../src/data/types.ts';

/** Seeded synthetic classification data: class c shifts every feature j with j % k === c. */
export function blobs(n: number, width: number, k = 3, seed = 1, shape: number[] = [width]): Dataset {
  const rng = new Rng(seed);
  const features = new Float32Array(n * width);
  const indices = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    indices[i] = c;
    for (let j = 0; j < width; j++) features[i * width + j] = rng.next() + (j % k === c ? 1.5 : 0);
  }
  return {
    numSamples: n,
    sampleShape: shape,
    featureNames: Array.from({ length: width }, (_, j) => `f${j}`),
    features,
    labels: {
      kind: 'categorical',
      column: 'label',
      classNames: Array.from({ length: k }, (_, c) => `class${c}`),
      indices,
    },
  };
}

/** Seeded regression data: y = x . w + noise. */
export function linear(n: number, width: number, seed = 2): Dataset {
  const rng = new Rng(seed);
  const features = new Float32Array(n * width);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let y = 0;
    for (let j = 0; j < width; j++) {
      const v = rng.next() * 2 - 1;
      features[i * width + j] = v;
      y += v * (j + 1);
    }
    values[i] = y + (rng.next() - 0.5) * 0.05;
  }
  return {
    numSamples: n,
    sampleShape: [width],
    featureNames: Array.from({ length: width }, (_, j) => `x${j}`),
    features,
    labels: { kind: 'numeric', columns: ['y'], values },
  };
}

export function copyDataset(d: Dataset): Dataset {
  return { ...d, features: d.features.slice() };
}
