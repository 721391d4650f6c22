import { describe, expect, it } from 'vitest';
import { concatDatasets, parseCsv, train, MlInputError } from '../src/index.ts';

const csv = (rows: number, offset = 0, classes = ['a', 'b']) =>
  [
    'x,y,label',
    ...Array.from({ length: rows }, (_, i) => {
      const k = (i + offset) % classes.length;
      return `${k * 2 + ((i * 37) % 10) / 10},${k - ((i * 11) % 10) / 20},${classes[k]}`;
    }),
  ].join('\n');

describe('a separate test set', () => {
  it('is evaluated as given instead of a split of the training data', async () => {
    const data = await parseCsv(csv(60));
    const testData = await parseCsv(csv(14, 1));
    const result = await train({
      spec: { input: { shape: [2] }, layers: [{ type: 'dense', units: 4 }] },
      data,
      testData,
      hyperparameters: { epochs: 2, batchSize: 8, seed: 1 },
      backend: 'cpu',
    });
    expect(result.status).toBe('completed');
    if (result.status !== 'completed') return;
    expect(result.metrics.numSamples).toBe(14);
    expect(result.metrics.classification?.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(14);
  });

  it('merges class names and refuses other columns', async () => {
    const merged = concatDatasets(await parseCsv(csv(4)), await parseCsv(csv(3, 0, ['b', 'c'])));
    expect(merged.numSamples).toBe(7);
    expect(merged.labels.kind === 'categorical' && merged.labels.classNames).toEqual(['a', 'b', 'c']);
    const other = await parseCsv('u,v,label\n1,2,a\n3,4,b');
    expect(() => concatDatasets(merged, other)).toThrow(MlInputError);
    expect(() => concatDatasets(merged, other)).toThrow(/test data has features \[u, v\]/);
  });
});

describe('checkpoints read from a Node Buffer', () => {
  it('decode the same as from a plain Uint8Array (a Buffer may be a view into a larger pool)', async () => {
    const { encodeCheckpoint, decodeCheckpoint } = await import('../src/index.ts');
    const bytes = encodeCheckpoint({
      version: 1,
      epoch: 2,
      rng: { s: [1, 2, 3, 4] } as never,
      fingerprint: 'f',
      extra: {},
      weights: [{ name: 'w', dtype: 'float32', shape: [2], data: new Float32Array([1.5, -2]) }],
      optimizer: [],
    });
    const backing = new Uint8Array(bytes.length + 16);
    backing.set(bytes, 16);
    const pooled = Buffer.from(backing.buffer, 16, bytes.length);
    expect(pooled.byteOffset).toBe(16);
    expect(Array.from(decodeCheckpoint(pooled).weights[0]!.data)).toEqual([1.5, -2]);
  });
});
