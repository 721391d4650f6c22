import { z } from 'zod';
import { MlInputError } from './errors.ts';
import {
  parseLossName,
  parseMetricName,
  parseOptimizerName,
  type LossName,
  type MetricName,
  type OptimizerName,
} from './names.ts';

export const hyperparametersSchema = z
  .object({
    epochs: z.number().int().min(1).max(100_000).default(10),
    batchSize: z.number().int().min(1).max(65_536).default(32),
    /** Default depends on the optimizer (adam 0.001, sgd 0.01, ...). */
    learningRate: z.number().positive().max(10).optional(),
    /** adam, sgd, rmsprop, adagrad, adadelta, adamax (any case, `_`/`-` ignored: "Adam", "RMSprop"). */
    optimizer: z.string().default('adam'),
    /** Momentum for sgd / rmsprop. */
    momentum: z.number().min(0).max(1).default(0),
    /** Default from the problem: categorical_crossentropy, binary_crossentropy or mse. */
    loss: z.string().optional(),
    /** Default: accuracy (classification) or mse, mae, r2 (regression). */
    metrics: z.array(z.string()).optional(),
    /** Limit the batches per epoch (default: the whole training split). */
    stepsPerEpoch: z.number().int().min(1).optional(),
    /** Carve a validation split off the training split; 0 = validate on the test split. */
    validationSplit: z.number().min(0).max(0.5).default(0),
    earlyStopping: z
      .object({
        monitor: z.string().optional(),
        patience: z.number().int().min(0).default(5),
        minDelta: z.number().min(0).default(0),
        mode: z.enum(['auto', 'min', 'max']).default('auto'),
        restoreBestWeights: z.boolean().default(true),
      })
      .nullable()
      .default(null),
    /** Same seed + same backend -> identical weights. Default: a random seed (recorded in the result). */
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .optional(),
  })
  .strict();

export type HyperparametersInput = z.input<typeof hyperparametersSchema>;
export type Hyperparameters = z.infer<typeof hyperparametersSchema> & {
  optimizerName: OptimizerName;
  lossName?: LossName;
  metricNames?: MetricName[];
};

export function parseHyperparameters(input: unknown): Hyperparameters {
  const result = hyperparametersSchema.safeParse(input ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new MlInputError(
      'INVALID_HYPERPARAMETERS',
      `Invalid hyperparameters at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  const hp = result.data;
  return {
    ...hp,
    optimizerName: parseOptimizerName(hp.optimizer),
    lossName: hp.loss ? parseLossName(hp.loss) : undefined,
    metricNames: hp.metrics?.map(parseMetricName),
  };
}
