import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../src/index.ts';
import { Rng } from '../src/random.ts';

// The heap-reading Slice, StridedSlice, SplitV and Unpack (src/wasm-kernels/slice.ts) against the cpu
// backend, value for value (a copy: exact, NaN and -0 included), and the reason they exist: the stock
// Slice copied its whole input out of the heap for every slice.

type Dtype = 'float32' | 'int32' | 'bool';
const DTYPES: Dtype[] = ['float32', 'int32', 'bool'];

/** Distinct values per dtype (float32 with a NaN, a -0 and an infinity where there is room). */
function values(n: number, dtype: Dtype, rng: Rng): number[] {
  return Array.from({ length: n }, (_, i) => {
    if (dtype === 'bool') return rng.int(2);
    if (dtype === 'int32') return rng.int(2001) - 1000;
    return [NaN, -0, -Infinity][i] ?? (rng.next() - 0.5) * 100;
  });
}

type Result = { shape: number[]; data: number[] }[];

/** Runs `op` on a fresh input of each case on `backend`: shapes and values of its outputs. */
async function onBackend<C extends { shape: number[]; dtype: Dtype; vals: number[] }>(
  backend: string,
  cases: C[],
  op: (x: tf.Tensor, c: C) => tf.Tensor | tf.Tensor[],
): Promise<Result[]> {
  await tf.setBackend(backend);
  const results = cases.map((c) =>
    tf.tidy(() => {
      const out = op(tf.tensor(c.vals, c.shape, c.dtype), c);
      return (Array.isArray(out) ? out : [out]).map((t) => ({
        shape: t.shape,
        data: Array.from(t.dataSync()),
      }));
    }),
  );
  await tf.setBackend('wasm');
  return results;
}

/** The same op on wasm and cpu gives the same shapes and values (Object.is per element). */
async function expectSameAsCpu<C extends { shape: number[]; dtype: Dtype; vals: number[] }>(
  cases: C[],
  op: (x: tf.Tensor, c: C) => tf.Tensor | tf.Tensor[],
) {
  const wasm = await onBackend('wasm', cases, op);
  const cpu = await onBackend('cpu', cases, op);
  cases.forEach((c, i) => expect(wasm[i], JSON.stringify({ ...c, vals: undefined })).toEqual(cpu[i]));
}

/** Random boxes: rank 1-5, every dtype, sizes -1 (to the end), 0 (empty), whole axes and partial ones. */
function sliceCases() {
  const rng = new Rng(11);
  const cases: { shape: number[]; begin: number[]; size: number[]; dtype: Dtype; vals: number[] }[] = [];
  const add = (shape: number[], begin: number[], size: number[], dtype: Dtype) =>
    cases.push({
      shape,
      begin,
      size,
      dtype,
      vals: values(
        shape.reduce((a, b) => a * b, 1),
        dtype,
        rng,
      ),
    });
  for (const dtype of DTYPES) {
    for (let rank = 1; rank <= 5; rank++) {
      for (let k = 0; k < 16; k++) {
        const shape = Array.from({ length: rank }, () => 1 + rng.int(rank > 3 ? 4 : 7));
        if (k === 15) shape[rng.int(rank)] = 0;
        const begin = shape.map((d) => rng.int(d + 1));
        const size = shape.map((d, i) => {
          const r = rng.int(5);
          if (r === 0) return -1;
          if (r === 1) return d - begin[i]!;
          return rng.int(d - begin[i]! + 1);
        });
        add(shape, begin, size, dtype);
      }
    }
    // The batches tfjs-layers' predict takes (contiguous), a column block, one element, the whole tensor.
    add([70, 6], [32, 0], [32, -1], dtype);
    add([70, 6], [64, 0], [-1, 6], dtype);
    add([5, 4, 3], [1, 0, 0], [2, 4, 3], dtype);
    add([5, 4, 3], [2, 1, 0], [1, 2, 3], dtype);
    add([9, 40], [0, 3], [9, 30], dtype);
    add([3, 4, 5, 2, 3], [1, 1, 2, 0, 1], [1, 2, 3, 2, 1], dtype);
    add([6], [0], [6], dtype);
    add([6], [6], [0], dtype);
    add([7, 5], [3, 2], [0, 2], dtype);
  }
  return cases;
}

describe('wasm Slice, StridedSlice, SplitV and Unpack from the heap', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('wasm');
  });

  it('tf.slice equals the cpu backend for rank 1-5 boxes of float32, int32 and bool', async () => {
    const cases = sliceCases();
    expect(cases.length).toBeGreaterThan(250);
    await expectSameAsCpu(cases, (x, c) => tf.slice(x, c.begin, c.size));
  });

  it('tf.stridedSlice and tensor indexing equal the cpu backend (boxes, strided, masks)', async () => {
    const rng = new Rng(12);
    /** tf.stridedSlice's arguments after x: begin, end, strides, then the five masks. */
    type Rest = [number[], number[], number[]?, number?, number?, number?, number?, number?];
    const cases: { shape: number[]; dtype: Dtype; vals: number[]; rest: Rest }[] = [];
    const shape = [6, 5, 4];
    for (const dtype of DTYPES) {
      const vals = values(120, dtype, rng);
      const add = (...rest: Rest) => cases.push({ shape, dtype, vals, rest });
      add([1], [4], [1]); // rows 1..3: contiguous
      add([2, 1], [3, 4], [1, 1]); // one row, columns 1..3
      add([0, 1, 1], [6, 4, 3], [1, 1, 1]); // a box inside every axis
      add([2, 1], [2, 4], [1, 1]); // begin = end: empty
      add([0, 0, 0], [6, 5, 4], [2, 1, 1]); // every other row
      add([5], [0], [-1]); // reversed rows
      add([5, 4, 3], [0, 0, 0], [-2, -1, -3]); // reversed and strided on every axis
      add([1, 0, 1], [6, 5, 4], [2, 3, 2]); // strided on every axis
      add([0, 1], [0, 5], [1, 2], 1, 1); // masks: all rows, odd columns
      add([0, 2], [0, 3], [1, 1], 1, 1); // masks: all rows, column 2
      add([3], [4], [1], 0, 0, 0, 0, 1); // shrink: row 3 as [5, 4]
      add([0, 0, 0], [0, 0, 0], [1, 1, 1], 7, 7); // identity
      add([1, 0], [2, 0], [1, 1], 0, 2, 0, 1); // new axis
    }
    await expectSameAsCpu(cases, (x, c) => tf.stridedSlice(x, ...c.rest));
  });

  it('tf.split and tf.unstack equal the cpu backend', async () => {
    const rng = new Rng(13);
    const cases = DTYPES.flatMap((dtype) =>
      [
        { shape: [7, 4, 3], axis: 0, splits: [2, 5] as number[] | number },
        { shape: [7, 4, 3], axis: 1, splits: 2 },
        { shape: [7, 4, 3], axis: -1, splits: [1, -1, 1] },
        { shape: [5, 6], axis: 1, splits: [0, 6] },
      ].map((c) => ({
        ...c,
        dtype,
        vals: values(
          c.shape.reduce((a, b) => a * b, 1),
          dtype,
          rng,
        ),
      })),
    );
    await expectSameAsCpu(cases, (x, c) => tf.split(x, c.splits, c.axis));
    await expectSameAsCpu(cases, (x, c) => tf.unstack(x, c.axis));
  });

  it('slices out of a heap the output grows (views fetched after the allocation)', () => {
    const n = 6_000_000;
    const x = tf.range(0, n, 1, 'int32');
    const y = tf.slice(x, [1], [n - 2]);
    const v = y.dataSync();
    expect([v.length, v[0], v[n / 2], v[n - 3]]).toEqual([n - 2, 1, n / 2 + 1, n - 2]);
    tf.dispose([x, y]);
  });

  it('reads only the slice: no whole-input readSync, for tf.slice, indexing, split, unstack or predict', () => {
    const backend = tf.backend() as unknown as { readSync(dataId: object): unknown };
    const x = tf.tidy(() => tf.reshape(tf.range(0, 1000 * 8), [1000, 8]));
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [8] })] });
    const spy = vi.spyOn(backend, 'readSync');
    try {
      const outs = tf.tidy(() => {
        const sliced = [
          tf.slice(x, [100, 0], [32, -1]),
          tf.slice(x, [3, 2], [10, 3]),
          tf.stridedSlice(x, [5], [9]),
          ...tf.split(x, 4),
          ...tf.unstack(tf.slice(x, [0, 0], [10, -1])),
        ];
        return [...sliced, model.predict(x) as tf.Tensor];
      });
      const reads = spy.mock.calls.filter(([dataId]) => dataId === x.dataId).length;
      // The stock kernels: one read of x per slice, 1000 / 32 = 32 of them in predict alone.
      expect(reads).toBe(0);
      expect(outs.at(-1)!.shape).toEqual([1000, 4]);
      tf.dispose(outs);
    } finally {
      spy.mockRestore();
      tf.dispose([x]);
      model.dispose();
    }
  });
});
