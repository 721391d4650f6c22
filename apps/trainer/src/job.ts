import {
  csvOptionsFor,
  isJsonDataFile,
  parseCsv,
  parseJsonData,
  type Dataset,
  type PreprocessingSpecInput,
} from '@trainhub/ml';
import type { TrainingDefinition } from '@trainhub/db';

// Turns a task's stored definition into the inputs of @trainhub/ml: parsed data, a model spec, hyperparameters
// and preprocessing. The definition's model is already our architecture, translated from the requesting API
// style's dialect when the training was requested (a row stored before that is normalized by @trainhub/ml's
// normalizeDefinition when read); the trainer knows no API style. Everything fails with MlInputError on bad
// input, which the runner treats as final.
export {
  modelSpecFor,
  normalizeDefinition,
  parseJsonResource,
  toMlHyperparameters,
  toMlPreprocessing,
} from '@trainhub/ml';

/**
 * Parses a dataset file: `.json` (or a JSON content type) as feature arrays, anything else as CSV with the
 * task's target/feature columns, separator, decimal and missing-value settings (see csvOptionsFor).
 */
export async function parseDataset(
  bytes: Buffer,
  file: { name: string; contentType: string | null },
  definition: Pick<TrainingDefinition, 'problemType' | 'labelColumns'>,
  preprocessing?: PreprocessingSpecInput,
): Promise<Dataset> {
  const options = csvOptionsFor(definition, preprocessing);
  if (isJsonDataFile(file)) return parseJsonData(bytes.toString('utf8'), { labelKind: options.labelKind });
  return parseCsv(bytes, options);
}
