import { describe, expect, it } from 'vitest';
import { MlInputError } from '../src/errors.ts';
import {
  ModelTestAccumulator,
  argmaxRows,
  outputsToProbabilities,
  rowsToMatrix,
  type ModelSignature,
} from '../src/predict.ts';

const sig: ModelSignature = {
  problem: 'classification',
  features: ['a', 'b', 'c'],
  usedFeatures: ['a', 'c'],
  classNames: ['x', 'y'],
  targetColumns: [],
};

function error(fn: () => unknown): MlInputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MlInputError);
    return e as MlInputError;
  }
  throw new Error('no error');
}

describe('rowsToMatrix', () => {
  it('reads numbers and numeric strings (whitespace, exponents, zero) by name or in order', () => {
    const m = rowsToMatrix(sig, [[' 1.5 ', '0', '1e3'], { a: 2, c: '-0.25', extra: 'ignored' }]);
    expect(Array.from(m)).toEqual([1.5, 0, 1000, 2, 0, -0.25]);
  });
  it('names the row and feature of a blank, missing or non-numeric value, and the width of a short row', () => {
    expect(
      error(() =>
        rowsToMatrix(sig, [
          [1, 2, 3],
          [1, '  ', 3],
        ]),
      ).message,
    ).toBe('Row 2: feature "b" is missing');
    expect(error(() => rowsToMatrix(sig, [{ a: 1, b: 2 }])).details).toEqual({ row: 1, column: 'c' });
    expect(error(() => rowsToMatrix(sig, [[1, '1,5', 3]], 10)).message).toBe(
      'Row 10: feature "b" is "1,5", not a finite number',
    );
    expect(error(() => rowsToMatrix(sig, [[1, 'Infinity', 3]])).code).toBe('NON_NUMERIC');
    expect(error(() => rowsToMatrix(sig, [[1, 2]])).message).toMatch(
      /^Row 1 has 2 values; the model takes 3/,
    );
  });
});

describe('outputs and test metrics', () => {
  it('binary sigmoid outputs become two probabilities; argmax per row', () => {
    const p = outputsToProbabilities('binary', Float32Array.from([0.25, 0.9]), 1);
    expect(Array.from(p)).toEqual([0.75, 0.25, expect.closeTo(0.1, 6), expect.closeTo(0.9, 6)]);
    expect(Array.from(argmaxRows(p, 2))).toEqual([0, 1]);
  });
  it('accumulates a confusion matrix and cross-entropy over chunks', () => {
    const acc = new ModelTestAccumulator(sig);
    acc.addClassification(Float32Array.from([0.9, 0.1, 0.4, 0.6]), Int32Array.from([0, 1]), [0, 0]);
    acc.addClassification(Float32Array.from([0.2, 0.8]), Int32Array.from([1]), [1]);
    const r = acc.report();
    if (r.problem === 'regression') throw new Error('classification expected');
    expect(r.confusionMatrix).toEqual([
      [1, 1],
      [0, 1],
    ]);
    expect(r.accuracy).toBeCloseTo(2 / 3, 10);
    expect(r.loss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.4) + Math.log(0.8)) / 3, 6);
  });
  it('regression: MSE, MAE and R2 over chunks equal the whole-set values', () => {
    const acc = new ModelTestAccumulator({
      ...sig,
      problem: 'regression',
      classNames: [],
      targetColumns: ['y'],
    });
    acc.addRegression(Float32Array.from([1, 2]), [1, 3]);
    acc.addRegression(Float32Array.from([5]), [4]);
    const r = acc.report();
    if (r.problem !== 'regression') throw new Error('regression expected');
    // errors 0, -1, 1; truth mean 8/3, SStot = (1-8/3)^2 + (3-8/3)^2 + (4-8/3)^2 = 42/9
    expect(r.mse).toBeCloseTo(2 / 3, 6);
    expect(r.mae).toBeCloseTo(2 / 3, 6);
    expect(r.r2).toBeCloseTo(1 - 2 / (42 / 9), 6);
  });
});
