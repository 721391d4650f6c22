import { describe, expect, it } from 'vitest';
import { flattenFeatures, rawFeatures, windowFeatures, windowsOf } from '@trainhub/ml/dsp';
import { DomainError } from '../src/services/errors';
import { impulsePipeline, labelFromFileName, parseSampleFile, splitCategory } from '../src/services/samples';

// The time-series input block and the raw / flatten DSP blocks (@trainhub/ml/dsp), and the file rules of the
// ingestion service (services/samples.ts), without a database.

describe('DSP blocks', () => {
  it('flatten: Edge Impulse’s statistics per axis (scipy.stats skew / kurtosis, biased, Fisher)', () => {
    const window = [
      [1, 1],
      [2, 1],
      [10, 1],
    ];
    const { names, values } = flattenFeatures(window, [0, 1], ['x', 'y']);
    expect(names.slice(0, 7)).toEqual([
      'x_average',
      'x_minimum',
      'x_maximum',
      'x_rms',
      'x_stdev',
      'x_skewness',
      'x_kurtosis',
    ]);
    const mean = 13 / 3;
    const expected = [
      mean,
      1,
      10,
      Math.sqrt(105 / 3),
      Math.sqrt(((1 - mean) ** 2 + (2 - mean) ** 2 + (10 - mean) ** 2) / 3),
      0.6745554845457661, // scipy.stats.skew([1, 2, 10])
      -1.5, // scipy.stats.kurtosis([1, 2, 10])
    ];
    values.slice(0, 7).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 9));
    // A constant axis: no spread, skewness and kurtosis 0 (not NaN).
    expect(values.slice(7)).toEqual([1, 1, 1, 1, 0, 0, 0]);
    // Switches and scale-axes.
    const some = flattenFeatures(window, [0], ['x'], {
      'scale-axes': 2,
      rms: false,
      stdev: false,
      skewness: false,
      kurtosis: false,
    });
    expect(some).toEqual({ names: ['x_average', 'x_minimum', 'x_maximum'], values: [(2 * 13) / 3, 2, 20] });
  });

  it('raw: the window row by row, axes interleaved, scaled', () => {
    expect(
      rawFeatures(
        [
          [1, 2],
          [3, 4],
        ],
        [1, 0],
        ['a', 'b'],
        { 'scale-axes': 10 },
      ),
    ).toEqual({
      names: ['b_0', 'a_0', 'b_1', 'a_1'],
      values: [20, 10, 40, 30],
    });
  });

  it('windows: size and increase in ms over the sample’s interval; zero padding; unknown blocks and axes', () => {
    const values = Array.from({ length: 10 }, (_, i) => [i]);
    const sample = { intervalMs: 10, sensors: [{ name: 'x' }], values };
    expect(windowsOf(sample, { windowSizeMs: 50, windowIncreaseMs: 20 }).map((w) => w.startMs)).toEqual([
      0, 20, 40,
    ]);
    expect(windowsOf(sample, { windowSizeMs: 200 })).toEqual([]);
    const padded = windowsOf(sample, { windowSizeMs: 120, padZeros: true });
    expect(padded).toHaveLength(1);
    expect(padded[0]!.values.slice(9)).toEqual([[9], [0], [0]]);
    expect(() => windowFeatures([[1]], ['x'], [{ type: 'spectral-analysis' }])).toThrow(/not computed here/);
    expect(() => windowFeatures([[1]], ['x'], [{ type: 'flatten', axes: ['accX'] }])).toThrow(/"accX"/);
  });

  it('reads the impulse as sent: input block, the learn block’s DSP blocks, string parameters', () => {
    const impulse = {
      inputBlocks: [{ id: 1, type: 'time-series', windowSizeMs: 1000, windowIncreaseMs: 500 }],
      dspBlocks: [
        { id: 2, type: 'flatten', axes: ['x'], parameters: { average: 'false', 'scale-axes': '0.5' } },
        { id: 4, type: 'raw' },
      ],
    };
    expect(impulsePipeline(impulse, [2])).toMatchObject({
      input: { windowSizeMs: 1000, windowIncreaseMs: 500 },
      dsp: [{ type: 'flatten', axes: ['x'], params: { average: false, 'scale-axes': 0.5 } }],
    });
    expect(impulsePipeline({ inputBlocks: [], dspBlocks: [] })).toBeNull();
  });
});

describe('ingestion file rules', () => {
  it('labels from file names, split by hash, refused types', async () => {
    expect(labelFromFileName('idle.01.json')).toBe('idle');
    expect(labelFromFileName('wave 2_b-x.csv')).toBe('wave 2_b-x');
    const categories = Array.from({ length: 200 }, (_, i) => splitCategory(`hash-${i}`));
    expect(splitCategory('hash-7')).toBe(categories[7]);
    const training = categories.filter((c) => c === 'training').length;
    expect(training).toBeGreaterThan(130);
    expect(training).toBeLessThan(190);
    for (const [name, type] of [
      ['a.cbor', 'application/cbor'],
      ['a.wav', 'audio/wav'],
      ['a.png', 'image/png'],
      ['a.bin', 'application/octet-stream'],
    ] as const)
      await expect(parseSampleFile(name, type, Buffer.from('x'), null)).rejects.toBeInstanceOf(DomainError);
    // HS256 without a key to check it is refused; a CSV whose first column is no timestamp too.
    const signed = JSON.stringify({
      protected: { ver: 'v1', alg: 'HS256' },
      signature: 'a'.repeat(64),
      payload: { device_type: 'T', interval_ms: 10, sensors: [{ name: 'x', units: 'g' }], values: [[1]] },
    });
    await expect(parseSampleFile('a.json', 'application/json', Buffer.from(signed), null)).rejects.toThrow(
      /signature/,
    );
    await expect(parseSampleFile('a.csv', 'text/csv', Buffer.from('x,y\n1,2\n3,4\n'), null)).rejects.toThrow(
      /timestamp/,
    );
    const csv = await parseSampleFile(
      'a.csv',
      'text/csv',
      Buffer.from('timestamp,x\n0,1\n16,2\n32,3\n'),
      null,
    );
    expect(csv).toMatchObject({ intervalMs: 16, values: [[1], [2], [3]], sensors: [{ name: 'x' }] });
  });
});
