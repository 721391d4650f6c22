import { MlInputError } from './errors.ts';
import { MAX_CLASSES, type DataFacts } from './data/summary.ts';
import { parseHyperparameters, type Hyperparameters } from './hyperparameters.ts';
import { checkLoss, checkMetrics, defaultLoss, type MetricName } from './names.ts';
import { parsePreprocessing, selectedColumns, type PreprocessingSpec } from './preprocess.ts';
import { inferShapes, type LayerShape } from './shapes.ts';
import { parseModelSpec, type ProblemType } from './spec.ts';
import {
  resolveSpec,
  toMlHyperparameters,
  toMlPreprocessing,
  type TaskDefinitionLike,
  type TaskHyperparametersLike,
} from './task.ts';

function lastSoftmaxUnits(spec: unknown): number | undefined {
  const s = spec as { layers?: unknown; architecture?: { layers?: unknown } } | null;
  const layers = Array.isArray(spec) ? spec : Array.isArray(s?.layers) ? s.layers : s?.architecture?.layers;
  if (!Array.isArray(layers)) return undefined;
  const last = layers.filter((l: { enabled?: boolean }) => l?.enabled !== false).at(-1) as
    { type?: string; units?: number; activation?: string } | undefined;
  return last?.type === 'dense' && last.activation === 'softmax' ? last.units : undefined;
}

export interface TrainingCheck {
  hyperparameters: Hyperparameters;
  preprocessing: PreprocessingSpec;
  /** Every layer's output shape for one sample, the head last. */
  shapes: LayerShape[];
  /** Classes (classification) or target columns (regression) the model will output. */
  outputs: number;
}

/**
 * The parsed hyperparameters, checked against the problem type: loss, metrics and the early stopping monitor
 * (one the run computes). Throws MlInputError('INVALID_HYPERPARAMETERS' or the name checks' codes).
 */
function checkHyperparameters(
  hyperparameters: TaskHyperparametersLike,
  problem: ProblemType,
): Hyperparameters {
  const hp = parseHyperparameters(toMlHyperparameters(hyperparameters));
  checkLoss(hp.lossName ?? defaultLoss(problem), problem);
  const metrics: MetricName[] = hp.metricNames ?? [];
  checkMetrics(metrics, problem);
  if (hp.earlyStopping?.monitor) {
    const names = [
      'loss',
      ...(metrics.length ? metrics : problem === 'regression' ? ['mse', 'mae', 'r2'] : ['accuracy']),
    ];
    const allowed = [...names, ...names.map((n) => `val_${n}`)];
    if (!allowed.includes(hp.earlyStopping.monitor))
      throw new MlInputError(
        'INVALID_HYPERPARAMETERS',
        `Early stopping monitors "${hp.earlyStopping.monitor}", which the run does not compute (use ${allowed.join(', ')})`,
        { field: 'earlyStopping.monitor' },
      );
  }
  return hp;
}

/**
 * How many values the model outputs for the data's labels: the configured classes, the counted ones, the
 * spec's own softmax head, else more than a summary counts. Throws MlInputError for a label outside the
 * configured classes, fewer than two classes, or a binary problem without two.
 */
function outputsFor(data: DataFacts, pre: PreprocessingSpec, problem: ProblemType, spec: unknown): number {
  if (data.labels.kind !== 'categorical') return data.labels.columns.length;
  const labels = data.labels;
  const order = pre.labels?.classes;
  if (order) {
    const unknown = labels.classNames.find((c) => !order.includes(c));
    if (unknown !== undefined)
      throw new MlInputError('INVALID_DATA', `Label "${unknown}" is not in the configured class list`, {
        column: labels.column,
        field: 'labels.classes',
      });
  }
  if (labels.classCount !== null && labels.classCount < 2)
    throw new MlInputError(
      'SINGLE_CLASS',
      labels.classCount === 0
        ? `The label column "${labels.column}" has no values`
        : `The label column "${labels.column}" has only one class ("${labels.classNames[0]}"); classification needs at least two`,
      { column: labels.column },
    );
  // More classes than a summary counts: the spec's own softmax head (if any) is taken at its word.
  const outputs = order?.length ?? labels.classCount ?? lastSoftmaxUnits(spec) ?? MAX_CLASSES + 1;
  if (problem === 'binary' && outputs !== 2)
    throw new MlInputError(
      'INVALID_DATA',
      `Binary classification needs exactly 2 classes, the label column "${labels.column}" has ${outputs}`,
      { column: labels.column, field: 'problemType' },
    );
  return outputs;
}

/**
 * Every layer's output shape for `width` feature values per sample (tables) or the data's sample shape.
 * Throws MlInputError('SHAPE_MISMATCH') when the architecture's input takes another number of values, and
 * what inferShapes throws.
 */
function checkArchitecture(
  definition: TaskDefinitionLike,
  data: DataFacts,
  width: number,
  outputs: number,
): LayerShape[] {
  const tabular = data.sampleShape.length === 1;
  const resolved = resolveSpec(
    definition.spec,
    { sampleShape: tabular ? [width] : data.sampleShape },
    definition.modelName,
  );
  const spec = parseModelSpec(resolved.spec);
  const want = spec.input.shape.reduce((a, b) => a * b, 1);
  if (want !== width)
    throw new MlInputError(
      'SHAPE_MISMATCH',
      `The architecture's input shape [${spec.input.shape.join(', ')}] takes ${want} values per sample but the data has ${width} feature column${width === 1 ? '' : 's'}`,
      { field: 'input.shape', expected: spec.input.shape, actual: [width] },
    );
  return inferShapes(spec, {
    problem: definition.problemType,
    numClasses: data.labels.kind === 'categorical' ? outputs : 0,
    numTargets: data.labels.kind === 'numeric' ? outputs : 0,
  });
}

/**
 * Checks a training request the way the run would, before anything is written and without TensorFlow.js:
 * the hyperparameters (optimizer, loss, metrics and their fit with the problem type, the early stopping
 * monitor), the preprocessing spec, the data facts against it (columns it names, at least two classes, a
 * binary problem's two classes) and the architecture against the data (input width, every layer's output
 * shape, reshape divisibility, a final layer that contradicts the data). Throws the first MlInputError;
 * `details.field` names the request field where one is to blame, `details.layer` the layer.
 */
export function checkTraining(input: {
  definition: TaskDefinitionLike;
  hyperparameters: TaskHyperparametersLike;
  /** The code resource's parsed JSON or the inline preprocessing. */
  preprocessing: unknown;
  data: DataFacts;
}): TrainingCheck {
  const problem: ProblemType = input.definition.problemType;
  const hp = checkHyperparameters(input.hyperparameters, problem);
  const pre = parsePreprocessing(toMlPreprocessing(input.preprocessing, input.hyperparameters));
  const data = input.data;
  if (problem === 'regression' && data.labels.kind !== 'numeric')
    throw new MlInputError('INVALID_DATA', 'Regression needs numeric targets', { field: 'problemType' });
  // Column selection, as preprocess applies it.
  const width =
    pre.columns?.include || pre.columns?.exclude
      ? selectedColumns(data.featureNames, pre.columns, { field: 'columns' }).length
      : data.featureNames.length;
  const outputs = outputsFor(data, pre, problem, input.definition.spec);
  const shapes = checkArchitecture(input.definition, data, width, outputs);
  return { hyperparameters: hp, preprocessing: pre, shapes, outputs };
}
