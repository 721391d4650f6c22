import * as tf from '@tensorflow/tfjs';
import { loadBlas } from './blas-matmul.ts';
import type { WasmBackendLike } from './util.ts';

// Optimizer updates for all variables in one native call (native/optim.c) on the wasm backend, instead of
// TensorFlow.js's chain of small kernels per variable (Adam: 12 kernels and 3 assignments per variable, so
// ~100 launches per step for a 3-layer MLP). The native code repeats TensorFlow.js's float32 arithmetic in
// the same order, so the weights and slots are bit-identical to the stock optimizer's (tested). Weights and
// slots are updated in place in the wasm heap (no new buffers per step) unless another tensor shares them.
// The slots stay the stock optimizer's variables (same names, same fields), so checkpoints,
// getWeights/setWeights and `optimizerState` see no difference. On any other backend, without the addon,
// with TRAINHUB_ML_FUSED_OPTIMIZER=0, on the first step (the stock code creates the slots) or with a
// gradient missing or not float32, the stock update runs.

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

/** tfjs-backend-wasm 4.22's internals that an in-place update needs (checked before use). */
interface WasmInternals {
  dataIdMap?: { get(dataId: object): { id: number; memoryOffset: number } | undefined };
  wasm?: {
    tfjs?: {
      disposeData?: (id: number) => void;
      registerTensor?: (id: number, size: number, memoryOffset: number) => void;
    };
  };
}

/**
 * Whether `v` can be updated in place: no other tensor shares its memory (the backend's reference count is
 * 1) and the backend lets us drop what its kernels cached about the tensor (`forgetCaches`).
 */
function inPlace(backend: WasmBackendLike, v: tf.Variable): boolean {
  const internals = backend as unknown as WasmInternals;
  return (
    backend.refCount(v.dataId) === 1 &&
    typeof internals.wasm?.tfjs?.disposeData === 'function' &&
    typeof internals.wasm.tfjs.registerTensor === 'function' &&
    internals.dataIdMap?.get(v.dataId) !== undefined
  );
}

/**
 * XNNPack's MatMul and Conv2D keep operators with the weights packed, keyed by the weight tensor's id and
 * dropped when that id is disposed: they assume a tensor's values never change. After an in-place update
 * the id is disposed and registered again on the same memory, so the next product packs the new values
 * (as it did when every update made a new tensor).
 */
function forgetCaches(backend: WasmBackendLike, v: tf.Variable): void {
  const internals = backend as unknown as Required<WasmInternals>;
  const data = internals.dataIdMap.get(v.dataId)!;
  internals.wasm.tfjs!.disposeData!(data.id);
  internals.wasm.tfjs!.registerTensor!(data.id, v.size, data.memoryOffset);
}

let copies = 0;
/**
 * How many variables or slots a fused update wrote through a copy because another tensor shared their
 * memory (tests check both paths).
 */
export function fusedCopyCount(): number {
  return copies;
}

/**
 * Runs `update` over every variable: per variable the buffers are [value, ...slots, gradient], value and
 * slots updated in place. One that another tensor shares (a clone, a kept reshape: the backend's reference
 * count is above 1) is updated in a copy that is then assigned, so that other tensor never changes.
 * `scalars` are the kind's hyperparameters (native/optim.c), rounded to float32 here.
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
  const targets = values.map((value, i) => [value, ...slotVars.map((s) => s[i]!)]);
  const outputs = targets.map((vars) =>
    vars.map((v) => (inPlace(backend, v) ? null : backend.makeOutput(v.shape, 'float32'))),
  );
  // Views after every allocation: growing the heap detaches earlier ones.
  const view = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
  const buffers: Float32Array[] = [];
  targets.forEach((vars, i) => {
    vars.forEach((v, j) => {
      const output = outputs[i]![j];
      if (!output) return buffers.push(view(v));
      const copy = view(output);
      copy.set(view(v));
      buffers.push(copy);
    });
    buffers.push(view(gradients[i]!));
  });
  const made = outputs.flat().filter((info) => info !== null);
  try {
    update(kind, buffers, Float64Array.from(scalars, Math.fround));
  } catch (error) {
    for (const info of made) backend.disposeData(info.dataId, true);
    throw error;
  }
  calls++;
  copies += made.length;
  targets.forEach((vars, i) =>
    vars.forEach((v, j) => {
      const output = outputs[i]![j];
      if (!output) return forgetCaches(backend, v);
      const tensor = tf.engine().makeTensorFromTensorInfo(output);
      v.assign(tensor);
      tensor.dispose();
    }),
  );
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
