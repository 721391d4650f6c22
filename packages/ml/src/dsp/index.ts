// Edge Impulse's time-series input block and its "raw data" and "flatten" processing (DSP) blocks, in plain
// TypeScript (no TensorFlow.js): they turn a stored sample (rows of sensor readings) into feature rows.
// Sources: Edge Impulse's open processing blocks (github.com/edgeimpulse/processing-blocks, `raw/dsp.py`,
// `flatten/dsp.py`) and the input block's parameters in the bindings' `ImpulseInputBlock` model.

/** The time-series input block: how a sample is cut into windows. */
export interface TimeSeriesInput {
  /** Window length in ms. */
  windowSizeMs: number;
  /** Step between window starts in ms (Edge Impulse's "window increase"); defaults to windowSizeMs. */
  windowIncreaseMs?: number;
  /** Pad a sample shorter than one window with zeros (one window) instead of giving none. */
  padZeros?: boolean;
}

/** A sample as the blocks read it: `values[row][axis]`, `intervalMs` ms between rows. */
export interface SeriesSample {
  intervalMs: number;
  sensors: { name: string; units?: string }[];
  values: number[][];
}

/** One window of a sample: the rows it covers (`values[row][axis]`) and where it starts (ms). */
export interface SampleWindow {
  startMs: number;
  values: number[][];
}

/**
 * Cuts a sample into windows of `windowSizeMs` every `windowIncreaseMs` (both rounded to whole rows of
 * `intervalMs`). A sample shorter than one window gives no window, or one zero-padded window with `padZeros`.
 * Throws a RangeError for a non-positive window size, increase or interval.
 */
export function windowsOf(sample: SeriesSample, input: TimeSeriesInput): SampleWindow[] {
  const { intervalMs, values } = sample;
  const increaseMs = input.windowIncreaseMs ?? input.windowSizeMs;
  if (!(intervalMs > 0)) throw new RangeError('the sample interval must be positive');
  if (!(input.windowSizeMs > 0)) throw new RangeError('windowSizeMs must be positive');
  if (!(increaseMs > 0)) throw new RangeError('windowIncreaseMs must be positive');
  const length = Math.max(1, Math.round(input.windowSizeMs / intervalMs));
  const step = Math.max(1, Math.round(increaseMs / intervalMs));
  const out: SampleWindow[] = [];
  for (let start = 0; start + length <= values.length; start += step)
    out.push({ startMs: start * intervalMs, values: values.slice(start, start + length) });
  if (out.length === 0 && input.padZeros && values.length > 0) {
    const width = values[0]!.length;
    const padded = values.slice();
    while (padded.length < length) padded.push(new Array<number>(width).fill(0));
    out.push({ startMs: 0, values: padded });
  }
  return out;
}

/** The "raw data" block's parameters (`scale-axes`: every value is multiplied by it; default 1). */
export interface RawParams {
  'scale-axes'?: number;
}

/**
 * The "raw data" block: the window's values, row by row (axis values interleaved: x0 y0 z0 x1 …), scaled.
 * `axes` are the indices of the sensors to keep, in order. Names: `{sensor}_{row}`.
 */
export function rawFeatures(
  window: number[][],
  axes: number[],
  sensors: string[],
  params: RawParams = {},
): { names: string[]; values: number[] } {
  const scale = params['scale-axes'] ?? 1;
  const names: string[] = [];
  const values: number[] = [];
  window.forEach((row, r) => {
    for (const a of axes) {
      names.push(`${sensors[a]}_${r}`);
      values.push((row[a] ?? 0) * scale);
    }
  });
  return { names, values };
}

/** The statistics the flatten block can compute per axis, in Edge Impulse's output order. */
export const FLATTEN_METHODS = [
  'average',
  'minimum',
  'maximum',
  'rms',
  'stdev',
  'skewness',
  'kurtosis',
] as const;
export type FlattenMethod = (typeof FLATTEN_METHODS)[number];

/** The "flatten" block's parameters: `scale-axes` (default 1) and one switch per statistic (default on). */
export type FlattenParams = { 'scale-axes'?: number } & Partial<Record<FlattenMethod, boolean>>;

/**
 * The "flatten" block: per axis (in `axes` order) the chosen statistics of the scaled window, in the order of
 * FLATTEN_METHODS. stdev is the population standard deviation; skewness and kurtosis are the biased
 * moment estimates (scipy.stats.skew / kurtosis defaults, kurtosis as excess over 3, both 0 for a constant
 * axis). Names: `{sensor}_{statistic}`.
 */
export function flattenFeatures(
  window: number[][],
  axes: number[],
  sensors: string[],
  params: FlattenParams = {},
): { names: string[]; values: number[] } {
  const scale = params['scale-axes'] ?? 1;
  const methods = FLATTEN_METHODS.filter((m) => params[m] !== false);
  const names: string[] = [];
  const values: number[] = [];
  for (const a of axes) {
    const xs = window.map((row) => (row[a] ?? 0) * scale);
    const n = xs.length || 1;
    const mean = xs.reduce((s, x) => s + x, 0) / n;
    let m2 = 0;
    let m3 = 0;
    let m4 = 0;
    for (const x of xs) {
      const d = x - mean;
      m2 += d * d;
      m3 += d * d * d;
      m4 += d * d * d * d;
    }
    m2 /= n;
    m3 /= n;
    m4 /= n;
    const stats: Record<FlattenMethod, number> = {
      average: mean,
      minimum: Math.min(...xs),
      maximum: Math.max(...xs),
      rms: Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / n),
      stdev: Math.sqrt(m2),
      skewness: m2 > 1e-24 ? m3 / m2 ** 1.5 : 0,
      kurtosis: m2 > 1e-24 ? m4 / (m2 * m2) - 3 : 0,
    };
    for (const m of methods) {
      names.push(`${sensors[a]}_${m}`);
      values.push(stats[m]);
    }
  }
  return { names, values };
}

/** A DSP block of an impulse: its type (`raw` or `flatten`), the sensor names it reads and its parameters. */
export interface DspBlockSpec {
  type: string;
  axes?: string[];
  params?: Record<string, unknown>;
}

/** DSP block types computed here. */
export const DSP_TYPES = ['raw', 'flatten'] as const;

/**
 * The features of one window through a chain of DSP blocks (concatenated in order), with their names
 * prefixed by the block index when there is more than one block. Throws a RangeError naming an unknown block
 * type or an axis the sample does not have.
 */
export function windowFeatures(
  window: number[][],
  sensors: string[],
  blocks: DspBlockSpec[],
): { names: string[]; values: number[] } {
  const names: string[] = [];
  const values: number[] = [];
  blocks.forEach((block, b) => {
    const axes = (block.axes?.length ? block.axes : sensors).map((axis) => {
      const i = sensors.indexOf(axis);
      if (i < 0)
        throw new RangeError(`the DSP block reads the axis "${axis}", which the sample does not have`);
      return i;
    });
    const params = block.params ?? {};
    const out =
      block.type === 'raw'
        ? rawFeatures(window, axes, sensors, params as RawParams)
        : block.type === 'flatten'
          ? flattenFeatures(window, axes, sensors, params as FlattenParams)
          : null;
    if (!out)
      throw new RangeError(
        `the DSP block type "${block.type}" is not computed here (available: ${DSP_TYPES.join(', ')})`,
      );
    names.push(...(blocks.length > 1 ? out.names.map((n) => `dsp${b}_${n}`) : out.names));
    values.push(...out.values);
  });
  return { names, values };
}
