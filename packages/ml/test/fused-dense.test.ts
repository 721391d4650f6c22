import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.ts';
import { TrainingDense } from '../src/layers.ts';
import { fusedDenseAvailable } from '../src/wasm-kernels/fused-dense.ts';

// The dense layer's fused training path (src/wasm-kernels/fused-dense.ts, TrainingDense in src/layers.ts)
// against stock tfjs-layers Dense layers with the same weights on the reference cpu backend.

type Act = 'relu' | 'linear' | 'tanh' | 'softmax';

/** A [inputs] -> hidden (activation) -> head (softmax) model of `make`'s dense layers; weights from a seed. */
function model(make: (units: number, activation: Act) => tf.layers.Layer, inputs: number, hidden: Act) {
  const input = tf.input({ shape: [inputs] });
  const h = make(24, hidden).apply(input) as tf.SymbolicTensor;
  const h2 = make(16, 'relu').apply(h) as tf.SymbolicTensor;
  const out = make(5, 'softmax').apply(h2) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: out });
  m.setWeights(m.getWeights().map((w, i) => tf.randomUniform(w.shape, -0.5, 0.5, 'float32', 10 + i)));
  return m;
}
const ours = (units: number, activation: Act) => new TrainingDense({ units, activation });
const stock = (units: number, activation: Act) => tf.layers.dense({ units, activation });

/** Loss and the gradients of every weight, as plain arrays, with the kernels each launch ran. */
function lossAndGrads(m: tf.LayersModel, x: tf.Tensor, y: tf.Tensor) {
  const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
  let grads: tf.NamedTensorMap = {};
  let value: tf.Scalar | null = null;
  const kernels: string[] = [];
  const profile = tf.profile(() => {
    ({ value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: true }) as tf.Tensor),
      vars,
    ));
  });
  return profile.then((p) => {
    for (const k of p.kernels) kernels.push(k.name);
    const out = {
      loss: value!.dataSync()[0]!,
      grads: vars.map((v) => Float32Array.from(grads[v.name]!.dataSync())),
      kernels,
    };
    tf.dispose([value!, ...Object.values(grads)]);
    return out;
  });
}

const maxRelDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!) / Math.max(1e-3, Math.abs(b[i]!))), 0);

describe('fused dense training layer', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('wasm');
  });

  it('is on with the wasm backend', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(fusedDenseAvailable()).toBe(true);
  });

  it.each(['relu', 'linear', 'tanh'] as const)(
    'hidden %s: loss and every gradient equal stock Dense on cpu',
    async (hidden) => {
      const x = tf.randomUniform([32, 40], -1, 1, 'float32', 1);
      const y = tf.oneHot(
        tf.tensor1d(
          Array.from({ length: 32 }, (_, i) => i % 5),
          'int32',
        ),
        5,
      );
      const fused = await lossAndGrads(model(ours, 40, hidden), x, y);
      const stockOnWasm = await lossAndGrads(model(stock, 40, hidden), x, y);
      await tf.setBackend('cpu');
      const reference = await lossAndGrads(model(stock, 40, hidden), x, y);
      await tf.setBackend('wasm');
      expect(Math.abs(fused.loss - reference.loss)).toBeLessThan(1e-5);
      expect(fused.grads.length).toBe(reference.grads.length);
      fused.grads.forEach((g, i) => expect(maxRelDiff(g, reference.grads[i]!)).toBeLessThan(1e-3));
      // Three layers, three products forward; backward each weight's product and the inputs' of the
      // upper two layers only (nothing asks for the model input's gradient).
      expect(fused.kernels.filter((k) => k === '_FusedMatMul')).toHaveLength(3);
      expect(fused.kernels.filter((k) => k === 'BatchMatMul')).toHaveLength(5);
      // While recording gradients the stock layers add each bias (Add: a linear layer's is fused) and run
      // each relu (Relu) as kernels of their own.
      const count = (kernels: string[], name: string) => kernels.filter((k) => k === name).length;
      const biasAdds = hidden === 'linear' ? 2 : 3;
      expect(count(fused.kernels, 'Add')).toBe(count(stockOnWasm.kernels, 'Add') - biasAdds);
      expect(count(stockOnWasm.kernels, 'Relu')).toBe(hidden === 'relu' ? 2 : 1);
      expect(count(fused.kernels, 'Relu')).toBe(0);
      tf.dispose([x, y]);
    },
  );

  it('serializes as a stock Dense that loads with the same outputs', async () => {
    const m = model(ours, 8, 'relu');
    const json = m.toJSON(undefined, false) as { config: { layers: { class_name: string }[] } };
    expect(json.config.layers.filter((l) => l.class_name === 'Dense')).toHaveLength(3);
    const saved: tf.io.ModelArtifacts[] = [];
    await m.save(tf.io.withSaveHandler(async (a) => (saved.push(a), { modelArtifactsInfo: {} as never })));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved[0]!));
    expect(loaded.layers.some((l) => l instanceof TrainingDense)).toBe(false);
    const x = tf.randomUniform([4, 8], -1, 1, 'float32', 3);
    const a = (m.predict(x) as tf.Tensor).dataSync();
    const b = (loaded.predict(x) as tf.Tensor).dataSync();
    expect(maxRelDiff(Float32Array.from(a), Float32Array.from(b))).toBeLessThan(1e-5);
  });

  it('falls back to the stock layer on other backends and for rank-3 inputs', async () => {
    await tf.setBackend('cpu');
    expect(fusedDenseAvailable()).toBe(false);
    const x = tf.randomUniform([6, 8], -1, 1, 'float32', 4);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 0], 'int32'), 5);
    const onCpu = await lossAndGrads(model(ours, 8, 'relu'), x, y);
    expect(onCpu.kernels).toContain('Relu');
    await tf.setBackend('wasm');
    const seq = tf.sequential({
      layers: [new TrainingDense({ units: 3, activation: 'relu', inputShape: [2, 4] })],
    });
    const out = seq.apply(tf.ones([5, 2, 4]), { training: true }) as tf.Tensor;
    expect(out.shape).toEqual([5, 2, 3]);
  });
});
