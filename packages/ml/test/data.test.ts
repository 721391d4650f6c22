import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MlInputError, parseCsv, parseJsonData, preprocess } from '../src/index.ts';

async function code(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (error) {
    expect(error).toBeInstanceOf(MlInputError);
    return `${(error as MlInputError).code}: ${(error as Error).message}`;
  }
  return 'no error';
}

describe('CSV', () => {
  it('parses numeric features and string labels into typed arrays', async () => {
    const csv = 'a,b,label\n1,2,cat\n3,4.5,dog\n-1,1e3,cat\n';
    const d = await parseCsv(csv);
    expect(d.numSamples).toBe(3);
    expect(d.features).toBeInstanceOf(Float32Array);
    expect(Array.from(d.features)).toEqual([1, 2, 3, 4.5, -1, 1000]);
    expect(d.labels).toMatchObject({ kind: 'categorical', column: 'label', classNames: ['cat', 'dog'] });
    expect(d.labels.kind === 'categorical' && Array.from(d.labels.indices)).toEqual([0, 1, 0]);
  });

  it('keeps every value of a file larger than one storage chunk (1M floats)', async () => {
    const width = 760;
    const rows = 1400;
    const header = [...Array.from({ length: width }, (_, j) => `c${j}`), 'y'].join(',');
    const body = Array.from({ length: rows }, (_, i) =>
      [...Array.from({ length: width }, (_, j) => (i * width + j) % 997), i % 2 ? 'odd' : 'even'].join(','),
    );
    const d = await parseCsv([header, ...body].join('\n'));
    expect(d.features.length).toBe(rows * width);
    for (const k of [0, 1_048_575, 1_048_576, rows * width - 1]) expect(d.features[k]).toBe(k % 997);
  });

  it('takes a configurable label column and numeric targets', async () => {
    const d = await parseCsv('y1,x,y2\n1,2,3\n4,5,6\n', { labelColumns: ['y1', 'y2'], labelKind: 'numeric' });
    expect(d.featureNames).toEqual(['x']);
    expect(d.labels.kind === 'numeric' && Array.from(d.labels.values)).toEqual([1, 3, 4, 6]);
  });

  it('names the row and column of bad data', async () => {
    expect(await code(parseCsv('a,b,label\n1,2,x\n3,4\n'))).toMatch(/RAGGED_ROW: Row 3 has 2 cells/);
    expect(await code(parseCsv('a,b,label\n1,2,x\n3,abc,y\n'))).toMatch(/NON_NUMERIC: Row 3, column "b"/);
    // NaN is one of the spellings of a missing value (issue 16), named as such.
    expect(await code(parseCsv('a,b,label\n1,NaN,x\n'))).toMatch(
      /MISSING_VALUES: Row 2, column "b": missing value \(NaN\)/,
    );
    expect(await code(parseCsv('a,b,label\n1,Infinity,x\n'))).toMatch(/NON_FINITE: Row 2, column "b"/);
    expect(await code(parseCsv(''))).toMatch(/EMPTY_DATA/);
    expect(await code(parseCsv('a,b,label\n'))).toMatch(/EMPTY_DATA: .*no data rows/);
    expect(await code(parseCsv('a,b\n1,2\n', { labelColumns: ['c'] }))).toMatch(/MISSING_COLUMN: Column "c"/);
  });

  it('reads quoted fields, a BOM, CRLF and a stream split inside a character; an unclosed quote is bad data', async () => {
    const d = await parseCsv('\uFEFFa,b,label\r\n1,2,"x, with a comma"\r\n\r\n3,4,"two\nlines"\r\n');
    expect(d.featureNames).toEqual(['a', 'b']);
    expect(d.labels.kind === 'categorical' && d.labels.classNames).toEqual(['x, with a comma', 'two\nlines']);
    const bytes = Buffer.from('a,b,label\n1,2,ünïcødé\n3,4,日本語\n');
    const chunks = [bytes.subarray(0, 20), bytes.subarray(20, 31), bytes.subarray(31)];
    const s = await parseCsv(Readable.from(chunks));
    expect(s.labels.kind === 'categorical' && s.labels.classNames).toEqual(['ünïcødé', '日本語']);
    expect(Array.from(s.features)).toEqual([1, 2, 3, 4]);
    expect(await code(parseCsv('a,b,label\n1,2,"x\n3,4,y\n'))).toMatch(
      /INVALID_DATA: Record 2 .*quoted field/,
    );
  });

  it('rejects a single class and a shape that does not fit the spec', async () => {
    const d = await parseCsv('a,b,label\n1,2,x\n3,4,x\n');
    expect(await code(() => preprocess(d, {}, { seed: 1 }))).toMatch(/SINGLE_CLASS/);
    const e = await parseCsv('a,b,label\n1,2,x\n3,4,y\n');
    expect(await code(() => preprocess(e, {}, { seed: 1, expectedSampleShape: [3] }))).toMatch(
      /SHAPE_MISMATCH: The model expects samples of shape \[3\]/,
    );
  });
});

describe('JSON data', () => {
  it('reads shaped tensors with labels', () => {
    const d = parseJsonData({
      x: [
        [[1], [2]],
        [[3], [4]],
      ],
      y: ['a', 'b'],
    });
    expect(d.sampleShape).toEqual([2, 1]);
    expect(Array.from(d.features)).toEqual([1, 2, 3, 4]);
    const e = parseJsonData(
      JSON.stringify([
        { x: [1, 2], y: 0.5 },
        { x: [3, 4], y: 1.5 },
      ]),
      { labelKind: 'numeric' },
    );
    expect(e.labels.kind).toBe('numeric');
  });

  it('names the bad sample', async () => {
    expect(await code(() => parseJsonData({ x: [[1, 2], [3]], y: ['a', 'b'] }))).toMatch(
      /RAGGED_ROW: Sample 2/,
    );
    expect(
      await code(() =>
        parseJsonData({
          x: [
            [1, 2],
            [3, 'q'],
          ],
          y: ['a', 'b'],
        }),
      ),
    ).toMatch(/NON_NUMERIC: Sample 2, position \[1\]/);
    expect(await code(() => parseJsonData({ x: [[1, 2]], y: ['a', 'b'] }))).toMatch(/SHAPE_MISMATCH/);
    expect(await code(() => parseJsonData('[]'))).toMatch(/EMPTY_DATA/);
  });
});
