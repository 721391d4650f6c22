import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, initBackend, Rng, train, type LayerSpec, type ModelSpecInput } from '../src/index.ts';
import { blobs } from './helpers.ts';

/** One case per layer type (and the conv paddings/strides the im2col filter gradient must get right). */
const cases: { name: string; input: number[]; layers: unknown[] }[] = [
  { name: 'dense', input: [10], layers: [{ type: 'dense', units: 7, activation: 'tanh' }] },
  {
    name: 'conv1d stack + max pool',
    input: [16, 3],
    layers: [{ type: 'conv1d', filters: 4, kernelSize: 3, stack: 2 }],
  },
  {
    name: 'conv1d valid stride 2 + avg pool',
    input: [17, 2],
    layers: [
      {
        type: 'conv1d',
        filters: 3,
        kernelSize: 4,
        strides: 2,
        padding: 'valid',
        pool: { type: 'avg', size: 2 },
      },
    ],
  },
  {
    name: 'conv2d stack + max pool',
    input: [8, 8, 2],
    layers: [{ type: 'conv2d', filters: 4, kernelSize: 3, stack: 2 }],
  },
  {
    name: 'conv2d same stride 2',
    input: [9, 7, 3],
    layers: [{ type: 'conv2d', filters: 5, kernelSize: [3, 2], strides: 2, pool: null }],
  },
  {
    name: 'conv2d valid stride 2 + avg pool',
    input: [11, 10, 1],
    layers: [
      {
        type: 'conv2d',
        filters: 3,
        kernelSize: 3,
        strides: [2, 1],
        padding: 'valid',
        pool: { type: 'avg', size: 2 },
      },
    ],
  },
  {
    name: 'conv2d valid stride 1, 4+ channels',
    input: [9, 8, 5],
    layers: [{ type: 'conv2d', filters: 6, kernelSize: [2, 3], padding: 'valid', stack: 2, pool: null }],
  },
  {
    name: 'max pool same padding, odd size',
    input: [7, 7, 2],
    layers: [{ type: 'maxPool2d', poolSize: 3, strides: 2, padding: 'same' }],
  },
  {
    name: 'depthwiseConv2d',
    input: [8, 8, 3],
    layers: [{ type: 'depthwiseConv2d', kernelSize: 3, depthMultiplier: 2, strides: 2 }],
  },
  {
    name: 'pooling 1d',
    input: [12, 2],
    layers: [
      { type: 'maxPool1d', poolSize: 2 },
      { type: 'avgPool1d', poolSize: 3, strides: 1 },
    ],
  },
  {
    name: 'pooling 2d',
    input: [8, 8, 2],
    layers: [
      { type: 'maxPool2d', poolSize: 2 },
      { type: 'avgPool2d', poolSize: 2, padding: 'same' },
    ],
  },
  {
    name: 'global pooling 1d',
    input: [6, 3],
    layers: [{ type: 'conv1d', filters: 4, pool: null }, { type: 'globalAvgPool1d' }],
  },
  {
    name: 'global max pooling 1d',
    input: [6, 3],
    layers: [{ type: 'conv1d', filters: 4, pool: null }, { type: 'globalMaxPool1d' }],
  },
  {
    name: 'global pooling 2d',
    input: [6, 6, 2],
    layers: [{ type: 'conv2d', filters: 3, pool: null }, { type: 'globalAvgPool2d' }],
  },
  {
    name: 'global max pooling 2d',
    input: [6, 6, 2],
    layers: [{ type: 'conv2d', filters: 3, pool: null }, { type: 'globalMaxPool2d' }],
  },
  {
    name: 'reshape columns + conv2d',
    input: [48],
    layers: [
      { type: 'reshape', columns: 6 },
      { type: 'conv2d', filters: 3, kernelSize: 3 },
    ],
  },
  {
    name: 'reshape target + flatten',
    input: [24],
    layers: [
      { type: 'reshape', targetShape: [4, -1] },
      { type: 'conv1d', filters: 2, pool: null },
      { type: 'flatten' },
    ],
  },
  {
    name: 'dropout',
    input: [10],
    layers: [
      { type: 'dense', units: 8 },
      { type: 'dropout', rate: 0.4 },
    ],
  },
  {
    name: 'batchNormalization',
    input: [6, 6, 2],
    layers: [{ type: 'conv2d', filters: 3, pool: null }, { type: 'batchNormalization' }],
  },
  {
    name: 'activations',
    input: [10],
    layers: [
      'relu',
      'relu6',
      'elu',
      'selu',
      'leakyRelu',
      'sigmoid',
      'tanh',
      'softplus',
      'softsign',
      'swish',
      'gelu',
      'linear',
    ].map((a) => ({ type: 'activation', activation: a })),
  },
  {
    name: 'disabled layer',
    input: [10],
    layers: [
      { type: 'dense', units: 4, enabled: false },
      { type: 'dense', units: 3, activation: 'relu6' },
    ],
  },
];

function gradients(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, seed: number): Float32Array[] {
  return tf.tidy(() => {
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const rng = new Rng(seed);
    for (const l of model.layers) if ('seeds' in l) (l as { seeds: unknown }).seeds = rng;
    const { grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      vars,
    );
    return vars.map((v) => grads[v.name]!.dataSync() as Float32Array).map((a) => Float32Array.from(a));
  });
}

describe('wasm backend: every layer type trains, gradients match cpu', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(cases)('$name: max |grad wasm - grad cpu| <= 1e-4', async ({ input, layers }) => {
    await tf.setBackend('cpu');
    const spec: ModelSpecInput = { input: { shape: input }, layers: layers as LayerSpec[] };
    const { model } = await buildModel(spec, { problem: 'classification', numClasses: 3, seed: 3 });
    const rng = new Rng(4);
    const batch = 5;
    const size = input.reduce((a, b) => a * b, 1);
    const xs = Float32Array.from({ length: batch * size }, () => rng.next() * 2 - 1);
    const labels = Int32Array.from({ length: batch }, (_, i) => i % 3);
    const cpu = gradients(
      model,
      tf.tensor(xs, [batch, ...input]),
      tf.oneHot(tf.tensor1d(labels, 'int32'), 3),
      9,
    );
    await tf.setBackend('wasm');
    const wasm = gradients(
      model,
      tf.tensor(xs, [batch, ...input]),
      tf.oneHot(tf.tensor1d(labels, 'int32'), 3),
      9,
    );
    expect(wasm.length).toBe(cpu.length);
    let maxDiff = 0;
    cpu.forEach((g, i) => {
      const w = wasm[i]!;
      expect(w.length).toBe(g.length);
      for (let j = 0; j < g.length; j++) maxDiff = Math.max(maxDiff, Math.abs(g[j]! - w[j]!));
    });
    expect(maxDiff).toBeLessThanOrEqual(1e-4);
    // gradients are not all zero (the layer really trains)
    expect(cpu.some((g) => g.some((v) => v !== 0))).toBe(true);
    model.dispose();
  });

  it('trains a CNN end to end on wasm through train(), leaking no wasm memory', async () => {
    const data = blobs(96, 64, 2, 5, [8, 8, 1]);
    await tf.setBackend('wasm');
    const idsBefore = tf.engine().backend.numDataIds();
    const r = await train({
      spec: {
        input: { shape: [8, 8, 1] },
        layers: [
          { type: 'conv2d', filters: 4, stack: 2 },
          { type: 'batchNormalization' },
          { type: 'dropout', rate: 0.1 },
          { type: 'flatten' },
          { type: 'dense', units: 8 },
        ],
      },
      data,
      hyperparameters: { epochs: 3, batchSize: 16, seed: 1, learningRate: 0.01 },
      backend: 'wasm',
    });
    expect(r.status).toBe('completed');
    expect(r.backend.name).toBe('wasm');
    expect(r.history.at(-1)!.loss).toBeLessThan(r.history[0]!.loss);
    expect(tf.engine().backend.numDataIds()).toBe(idsBefore);
  });

  it('is reproducible and resumable on wasm (same seed -> identical weights)', async () => {
    const spec = {
      input: { shape: [8, 8, 1] },
      layers: [
        { type: 'conv2d', filters: 3 },
        { type: 'dropout', rate: 0.2 },
        { type: 'dense', units: 6 },
      ],
    };
    const hp = { epochs: 3, batchSize: 16, seed: 21 };
    const run = async (extra: object = {}) => {
      const r = await train({
        spec,
        data: blobs(64, 64, 2, 5, [8, 8, 1]),
        hyperparameters: hp,
        backend: 'wasm',
        ...extra,
      });
      if (r.status === 'cancelled') throw new Error('cancelled');
      return Buffer.from(r.artifacts.weights);
    };
    const a = await run();
    const saved: Uint8Array[] = [];
    let epochs = 0;
    const cancelled = await train({
      spec,
      data: blobs(64, 64, 2, 5, [8, 8, 1]),
      hyperparameters: hp,
      backend: 'wasm',
      checkpoint: { save: (b) => void saved.push(b) },
      callbacks: { onEpoch: () => void epochs++ },
      shouldStop: () => (epochs >= 1 ? 'cancel' : null),
    });
    expect(cancelled.status).toBe('cancelled');
    expect(saved).toHaveLength(1);
    const b = await run({ resumeFrom: saved[0] });
    const c = await run();
    expect(b.equals(a)).toBe(true);
    expect(c.equals(a)).toBe(true);
  });

  it('transposed MatMul fast path equals the plain product', async () => {
    await tf.setBackend('wasm');
    const a = tf.randomUniform([3, 5, 4], -1, 1, 'float32', 1);
    const b = tf.randomUniform([3, 6, 5], -1, 1, 'float32', 2);
    const fast = tf.matMul(a, b, true, true).dataSync();
    const plain = tf.matMul(tf.transpose(a, [0, 2, 1]), tf.transpose(b, [0, 2, 1])).dataSync();
    expect(Math.max(...fast.map((v, i) => Math.abs(v - plain[i]!)))).toBeLessThan(1e-5);
    // a x b^T with a big b takes the (b x a^T)^T route
    const dy = tf.randomUniform([4, 6], -1, 1, 'float32', 3);
    const w = tf.randomUniform([50, 6], -1, 1, 'float32', 4);
    const viaT = tf.matMul(dy, w, false, true).dataSync();
    const direct = tf.matMul(dy, tf.transpose(w)).dataSync();
    expect(Math.max(...viaT.map((v, i) => Math.abs(v - direct[i]!)))).toBeLessThan(1e-5);
  });

  it('tf.clone shares the data (no copy) on wasm, and each handle outlives the other', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomUniform([64, 32], -1, 1, 'float32', 5);
    const values = x.dataSync().slice();
    const buffers = tf.memory().numDataBuffers;
    const ids = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    const y = tf.clone(x);
    expect(tf.memory().numDataBuffers).toBe(buffers);
    expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(ids);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual(Array.from(values));
    const z = tf.clone(y);
    y.dispose();
    expect(Array.from(z.dataSync())).toEqual(Array.from(values));
    z.dispose();
    expect(tf.memory().numDataBuffers).toBe(buffers - 1);
  });
});
