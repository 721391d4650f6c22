import { describe, expect, it } from 'vitest';
import { applyPreprocessing, MlInputError, preprocess } from '../src/index.ts';
import { blobs, copyDataset } from './helpers.ts';

describe('preprocessing', () => {
  it('standardizes per column on the training split and records the parameters', () => {
    const d = blobs(300, 4);
    const raw = copyDataset(d);
    const p = preprocess(d, { scaling: 'standardize', testSize: 0.2 }, { seed: 7 });
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (const r of p.trainIndices) s += p.features[r * 4 + c]!;
      expect(Math.abs(s / p.trainIndices.length)).toBeLessThan(1e-4);
    }
    const again = applyPreprocessing(p.params, raw.features.subarray(0, 8));
    expect(Array.from(again.features)).toEqual(Array.from(p.features.subarray(0, 8)));
  });

  it('min-max scales, selects columns and encodes labels in sorted order', () => {
    const d = blobs(90, 4);
    d.labels = { ...d.labels, classNames: ['zeta', 'alpha', 'mid'] } as typeof d.labels;
    const p = preprocess(d, { scaling: { method: 'minmax' }, columns: { exclude: ['f3'] } }, { seed: 1 });
    expect(p.sampleShape).toEqual([3]);
    expect(p.params.classNames).toEqual(['alpha', 'mid', 'zeta']);
    const trainVals = Array.from(p.trainIndices).flatMap((r) =>
      Array.from(p.features.subarray(r * 3, r * 3 + 3)),
    );
    expect(Math.min(...trainVals)).toBeCloseTo(0, 5);
    expect(Math.max(...trainVals)).toBeCloseTo(1, 5);
    expect(() => preprocess(blobs(30, 4), { columns: { include: ['nope'] } }, { seed: 1 })).toThrow(
      /column "nope"/,
    );
  });

  it('splits stratified and reproducibly from the seed (testSize or trainTestSplit)', () => {
    const d = blobs(100, 2, 2);
    const a = preprocess(copyDataset(d), { testSize: 0.3 }, { seed: 5 });
    const b = preprocess(copyDataset(d), { trainTestSplit: 0.7 }, { seed: 5 });
    const c = preprocess(copyDataset(d), { testSize: 0.3 }, { seed: 6 });
    expect(Array.from(a.testIndices)).toEqual(Array.from(b.testIndices));
    expect(Array.from(a.testIndices)).not.toEqual(Array.from(c.testIndices));
    expect(a.testIndices.length).toBe(30);
    const perClass = [0, 0];
    for (const i of a.testIndices) perClass[a.classes![i]!]!++;
    expect(perClass).toEqual([15, 15]);
    expect(() => preprocess(d, { testSize: 0.3, trainTestSplit: 0.5 }, { seed: 1 })).toThrow(MlInputError);
  });

  it('computes balanced class weights', () => {
    const d = blobs(40, 2, 2);
    const idx = d.labels.kind === 'categorical' ? d.labels.indices : new Int32Array();
    for (let i = 0; i < 40; i++) idx[i] = i < 30 ? 0 : 1; // 30 vs 10
    const p = preprocess(d, { classWeights: 'auto', testSize: 0 }, { seed: 1 });
    expect(p.classWeights![0]).toBeCloseTo(40 / (2 * 30), 5);
    expect(p.classWeights![1]).toBeCloseTo(40 / (2 * 10), 5);
  });
});
