import { MlInputError } from './errors.ts';
import type { RngState } from './random.ts';

export interface NamedArray {
  name: string;
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

/** Everything needed to continue a run exactly where it stopped (after a completed epoch). */
export interface CheckpointState {
  version: 1;
  /** Epochs completed. */
  epoch: number;
  /** Generator state at the end of that epoch (shuffles, dropout masks). */
  rng: RngState;
  /** Identifies the run settings; a resume with other settings is refused. */
  fingerprint: string;
  /** Model variables in model.weights order (trainable and not, e.g. batch-norm statistics). */
  weights: NamedArray[];
  /** Optimizer slots (moments, accumulators, step counters). */
  optimizer: NamedArray[];
  /** Training history so far and early-stopping bookkeeping (JSON). */
  extra: Record<string, unknown>;
}

const MAGIC = 0x4b434854; // "THCK"

/** Serialize a checkpoint to bytes: magic, header length, JSON header, then the raw arrays (4-byte aligned). */
export function encodeCheckpoint(state: CheckpointState): Uint8Array {
  const arrays = [...state.weights, ...state.optimizer];
  let offset = 0;
  const describe = (a: NamedArray) => {
    const d = { name: a.name, dtype: a.dtype, shape: a.shape, offset, length: a.data.length };
    offset += a.data.length * 4;
    return d;
  };
  const header = {
    version: state.version,
    epoch: state.epoch,
    rng: state.rng,
    fingerprint: state.fingerprint,
    extra: state.extra,
    weights: state.weights.map(describe),
    optimizer: state.optimizer.map(describe),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil(json.length / 4) * 4;
  const out = new Uint8Array(8 + headerLen + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, headerLen, true);
  out.fill(0x20, 8, 8 + headerLen);
  out.set(json, 8);
  let pos = 8 + headerLen;
  for (const a of arrays) {
    out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), pos);
    pos += a.data.byteLength;
  }
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array): CheckpointState {
  const bad = (why: string) => new MlInputError('INVALID_CHECKPOINT', `Invalid checkpoint: ${why}`);
  if (bytes.length < 8) throw bad('too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw bad('not a trainhub checkpoint');
  const headerLen = view.getUint32(4, true);
  let header: {
    version: number;
    epoch: number;
    rng: RngState;
    fingerprint: string;
    extra: Record<string, unknown>;
    weights: (Omit<NamedArray, 'data'> & { offset: number; length: number })[];
    optimizer: (Omit<NamedArray, 'data'> & { offset: number; length: number })[];
  };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch {
    throw bad('corrupt header');
  }
  if (header.version !== 1) throw bad(`unsupported version ${header.version}`);
  const base = 8 + headerLen;
  const read = (d: Omit<NamedArray, 'data'> & { offset: number; length: number }): NamedArray => {
    const start = base + d.offset;
    if (start + d.length * 4 > bytes.length) throw bad('truncated data');
    // A real copy: on a Node Buffer, .slice() would be a view into its (larger) pool.
    const copy = Uint8Array.prototype.slice.call(bytes, start, start + d.length * 4);
    const data = d.dtype === 'int32' ? new Int32Array(copy.buffer) : new Float32Array(copy.buffer);
    return { name: d.name, dtype: d.dtype, shape: d.shape, data };
  };
  return {
    version: 1,
    epoch: header.epoch,
    rng: header.rng,
    fingerprint: header.fingerprint,
    extra: header.extra,
    weights: header.weights.map(read),
    optimizer: header.optimizer.map(read),
  };
}
