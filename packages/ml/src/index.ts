/**
 * @trainhub/ml: the training core. Knows nothing of HTTP or databases: give it a spec, parsed data and
 * callbacks; get back model artifacts, metrics and history. See README.md.
 */
// Everything the web process may load without TensorFlow.js (checks, summaries, translators) lives in
// validate.ts; the full entry point re-exports it rather than listing it twice.
export * from './validate.ts';
export {
  parseModelSpec,
  modelSpecSchema,
  layerSchema,
  SPEC_FORMAT,
  SPEC_VERSION,
  type ModelSpec,
  type ModelSpecInput,
  type LayerSpec,
  type LayerType,
  type ProblemType,
  type Activation,
} from './spec.ts';
export {
  buildModel,
  LAYER_BUILDERS,
  SeededDropout,
  type BuildModelOptions,
  type BuiltModel,
  type LayerBuilder,
} from './layers.ts';
export {
  loadBaseModel,
  resolveBaseModel,
  baseModelFile,
  hasBaseModel,
  listBaseModels,
  edgeImpulseBaseName,
  MODEL_STORE_ENV,
} from './model-store.ts';
export { fromEdgeImpulse, type EdgeImpulseVisualLayer } from './translators/edge-impulse.ts';
export { fromKerasJson, parseKerasJson } from './translators/keras.ts';
export { modelFromKerasJson } from './translators/keras-model.ts';
export type { Dataset, CategoricalLabels, NumericLabels } from './data/types.ts';
export { concatDatasets } from './data/types.ts';
export { parseCsv, type CsvOptions, type MissingPolicy, type DataProblem } from './data/csv.ts';
export { parseJsonData, type JsonDataOptions } from './data/json.ts';
export {
  preprocess,
  applyPreprocessing,
  parsePreprocessing,
  preprocessingSchema,
  type PreprocessingSpec,
  type PreprocessingSpecInput,
  type PreprocessingParams,
  type PreparedData,
} from './preprocess.ts';
export {
  parseHyperparameters,
  hyperparametersSchema,
  type Hyperparameters,
  type HyperparametersInput,
} from './hyperparameters.ts';
export { parseOptimizerName, type OptimizerName } from './optimizers.ts';
export { parseLossName, type LossName } from './losses.ts';
export {
  parseMetricName,
  confusionMatrix,
  classificationReport,
  regressionReport,
  type MetricName,
  type ClassificationReport,
  type RegressionReport,
  type ClassReport,
} from './metrics.ts';
export {
  train,
  type TrainOptions,
  type TrainResult,
  type TrainCompleted,
  type TrainCancelled,
  type TrainCallbacks,
  type CheckpointSink,
  type EpochLog,
  type EvaluationMetrics,
  type Stage,
  type StopSignal,
} from './train.ts';
export { encodeCheckpoint, decodeCheckpoint, type CheckpointState } from './checkpoint.ts';
export {
  exportModel,
  loadTrainedModel,
  readModelFiles,
  writeModelFiles,
  artifactFiles,
  artifactsFromFiles,
  TrainedModel,
  ARTIFACT_FILES,
  type ModelArtifacts,
  type ModelMetadata,
  type Prediction,
} from './artifacts.ts';
export { initBackend, currentBackend, type BackendInfo, type BackendPreference } from './backend.ts';
export { registerWasmKernels } from './wasm-kernels/index.ts';
export { Rng, type RngState } from './random.ts';
export {
  modelSignature,
  rowsToMatrix,
  predictMatrix,
  predictRows,
  outputsToProbabilities,
  argmaxRows,
  ModelTestAccumulator,
  type ModelSignature,
  type RawRow,
  type RowPrediction,
  type ModelTestReport,
} from './predict.ts';
