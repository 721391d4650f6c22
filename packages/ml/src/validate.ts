/**
 * @trainhub/ml/validate: everything the web process needs to check a training request or an upload, with
 * no TensorFlow.js: data summaries, the task's spec / hyperparameters / preprocessing as the trainer reads
 * them, shape inference and `checkTraining`.
 */
export { MlInputError, isMlInputError, type MlInputErrorCode } from './errors.ts';
export { checkTraining, type TrainingCheck } from './check.ts';
export {
  summarizeData,
  dataFacts,
  MAX_CLASSES,
  type DataSummary,
  type ColumnSummary,
  type DataFacts,
} from './data/summary.ts';
export {
  MISSING_SPELLINGS,
  MAX_LISTED_PROBLEMS,
  isMissingCell,
  describeProblem,
  type DataProblem,
  type CsvOptions,
  type MissingPolicy,
} from './data/csv.ts';
export { inferShapes, specHeadIndex, type LayerShape } from './shapes.ts';
export {
  resolveSpec,
  toMlHyperparameters,
  toMlPreprocessing,
  csvOptionsFor,
  inputShapeFor,
  isJsonDataFile,
  parseJsonResource,
  PREPROCESSING_EXAMPLE,
  type TaskDefinitionLike,
  type TaskHyperparametersLike,
} from './task.ts';
export {
  translateModel,
  modelSpecFor,
  normalizeDefinition,
  NAMED_ARCHITECTURES,
  type ArchitectureSpec,
  type DefinitionLike,
  type Normalized,
  type TranslatedModel,
} from './translators/index.ts';
export { parsePreprocessing, preprocessingSchema, type PreprocessingSpec } from './preprocess.ts';
