import * as tf from '@tensorflow/tfjs';
import { loadBlas } from './blas-matmul.ts';
import type { WasmBackendLike } from './util.ts';

// Optimizer updates for all variables in one native call (native/optim.c) on the wasm backend, instead of
// TensorFlow.js's chain of small kernels per variable (Adam: 12 kernels and 3 assignments per variable, so
// ~100 launches per step for a 3-layer MLP). The native code repeats TensorFlow.js's float32 arithmetic in
// the same order, so the weights and slots are bit-identical to the stock optimizer's (tested). The slots
// stay the stock optimizer's variables (same names, same fields), so checkpoints, getWeights/setWeights and
// `optimizerState` see no difference. On any other backend, without the addon, with TRAINHUB_ML_FUSED_
// OPTIMIZER=0, on the first step (the stock code creates the slots) or with a gradient missing or not
// float32, the stock update runs.

/** The addon's fused update (native/optim.c). */
type OptimizerUpdate = (kind: number, buffers: Float32Array[], scalars: Float64Array) => void;

const enum Kind {
  Adam = 0,
  Sgd = 1,
  Momentum = 2,
  Nesterov = 3,
  RmsProp = 4,
}

let calls = 0;
/** How many fused updates ran in this process (tests check the native path was taken). */
export function fusedUpdateCount(): number {
  return calls;
}

function nativeUpdate(): OptimizerUpdate | null {
  if (process.env.TRAINHUB_ML_FUSED_OPTIMIZER === '0' || tf.getBackend() !== 'wasm') return null;
  const addon = loadBlas() as { optimizerUpdate?: OptimizerUpdate } | null;
  return addon?.optimizerUpdate ?? null;
}

type Grads = Parameters<tf.Optimizer['applyGradients']>[0];
type Slot = { variable: tf.Variable } | null | undefined;

/**
 * The variables and gradients of one step, or null when the fused path cannot take it (a slot not created
 * yet, a gradient missing, a dtype or size that is not float32 / the variable's).
 */
function collect(grads: Grads, slots: Slot[][]): { values: tf.Variable[]; gradients: tf.Tensor[] } | null {
  const names = Array.isArray(grads) ? grads.map((g) => g.name) : Object.keys(grads);
  const values: tf.Variable[] = [];
  const gradients: tf.Tensor[] = [];
  for (let i = 0; i < names.length; i++) {
    const value = tf.engine().registeredVariables[names[i]!];
    const gradient = Array.isArray(grads) ? grads[i]!.tensor : grads[names[i]!];
    if (!value || !gradient || value.dtype !== 'float32' || gradient.dtype !== 'float32') return null;
    if (gradient.size !== value.size) return null;
    for (const list of slots) if (!list[i]?.variable || list[i]!.variable.size !== value.size) return null;
    values.push(value);
    gradients.push(gradient);
  }
  return { values, gradients };
}

/**
 * Runs `update` over every variable: inputs per variable are [value, ...slots, gradient], outputs
 * [value, ...slots] (new buffers, then assigned, so a tensor sharing a variable's buffer is never changed).
 */
function runFused(
  update: OptimizerUpdate,
  kind: Kind,
  values: tf.Variable[],
  slotVars: tf.Variable[][],
  gradients: tf.Tensor[],
  scalars: number[],
): void {
  const backend = tf.backend() as unknown as WasmBackendLike;
  const engine = tf.engine();
  const outputs = values.map((value) =>
    Array.from({ length: 1 + slotVars.length }, () => backend.makeOutput(value.shape, 'float32')),
  );
  // Views after every allocation: growing the heap detaches earlier ones.
  const buffers: Float32Array[] = [];
  values.forEach((value, i) => {
    const view = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
    buffers.push(view(value), ...slotVars.map((s) => view(s[i]!)), view(gradients[i]!));
    buffers.push(...outputs[i]!.map(view));
  });
  try {
    update(kind, buffers, Float64Array.from(scalars, Math.fround));
  } catch (error) {
    for (const info of outputs.flat()) backend.disposeData(info.dataId, true);
    throw error;
  }
  calls++;
  values.forEach((value, i) => {
    const [newValue, ...newSlots] = outputs[i]!.map((info) => engine.makeTensorFromTensorInfo(info));
    value.assign(newValue!);
    newSlots.forEach((slot, j) => slotVars[j]![i]!.assign(slot));
    tf.dispose([newValue!, ...newSlots]);
  });
}

const slotVariables = (slots: Slot[][], count: number) =>
  slots.map((list) => list.slice(0, count).map((slot) => slot!.variable));

/** tf.train.adam with the fused update on wasm + addon. */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(grads: Grads): void {
    const update = nativeUpdate();
    const self = this as unknown as {
      accumulatedFirstMoment: Slot[];
      accumulatedSecondMoment: Slot[];
      accBeta1: tf.Variable;
      accBeta2: tf.Variable;
      beta1: number;
      beta2: number;
      epsilon: number;
    };
    const slots = [self.accumulatedFirstMoment, self.accumulatedSecondMoment];
    const step = update ? collect(grads, slots) : null;
    if (!update || !step) return super.applyGradients(grads as never);
    const accBeta1 = self.accBeta1.dataSync()[0]!;
    const accBeta2 = self.accBeta2.dataSync()[0]!;
    const f = Math.fround;
    runFused(update, Kind.Adam, step.values, slotVariables(slots, step.values.length), step.gradients, [
      self.beta1,
      1 - self.beta1,
      self.beta2,
      1 - self.beta2,
      // float32 1 - accBeta (double rounding of a float32 difference is exact: 53 >= 2 * 24 + 2 bits)
      1 - accBeta1,
      1 - accBeta2,
      self.epsilon,
      -this.learningRate,
    ]);
    tf.tidy(() => {
      self.accBeta1.assign(tf.scalar(f(accBeta1 * f(self.beta1))));
      self.accBeta2.assign(tf.scalar(f(accBeta2 * f(self.beta2))));
    });
    this.incrementIterations();
  }
}

/** tf.train.sgd with the fused update. */
export class FusedSGDOptimizer extends tf.SGDOptimizer {
  override applyGradients(grads: Grads): void {
    const update = nativeUpdate();
    const step = update ? collect(grads, []) : null;
    if (!update || !step) return super.applyGradients(grads as never);
    const c = (this as unknown as { c: tf.Scalar }).c.dataSync()[0]!;
    runFused(update, Kind.Sgd, step.values, [], step.gradients, [c]);
    this.incrementIterations();
  }
}

/** tf.train.momentum (also Nesterov) with the fused update. */
export class FusedMomentumOptimizer extends tf.MomentumOptimizer {
  override applyGradients(grads: Grads): void {
    const update = nativeUpdate();
    const self = this as unknown as {
      accumulations: Slot[];
      c: tf.Scalar;
      m: tf.Scalar;
      useNesterov: boolean;
    };
    const slots = [self.accumulations];
    const step = update ? collect(grads, slots) : null;
    if (!update || !step) return super.applyGradients(grads as never);
    const kind = self.useNesterov ? Kind.Nesterov : Kind.Momentum;
    runFused(update, kind, step.values, slotVariables(slots, step.values.length), step.gradients, [
      self.c.dataSync()[0]!,
      self.m.dataSync()[0]!,
    ]);
    this.incrementIterations();
  }
}

/** tf.train.rmsprop (not centered) with the fused update. */
export class FusedRMSPropOptimizer extends tf.RMSPropOptimizer {
  override applyGradients(grads: Grads): void {
    const update = nativeUpdate();
    const self = this as unknown as {
      accumulatedMeanSquares: Slot[];
      accumulatedMoments: Slot[];
      centered: boolean;
      decay: number;
      momentum: number;
      epsilon: number;
    };
    const slots = [self.accumulatedMeanSquares, self.accumulatedMoments];
    const step = update && !self.centered ? collect(grads, slots) : null;
    if (!update || !step) return super.applyGradients(grads as never);
    runFused(update, Kind.RmsProp, step.values, slotVariables(slots, step.values.length), step.gradients, [
      self.decay,
      1 - self.decay,
      self.momentum,
      this.learningRate,
      self.epsilon,
    ]);
    this.incrementIterations();
  }
}
