import { hyperparametersSchema } from '@trainhub/db/contracts';

/** Hyperparameters as label/value rows, in the Train form's words. */
export function hyperparameterRows(raw: unknown): [string, string][] {
  const parsed = hyperparametersSchema.safeParse(raw);
  if (!parsed.success) return [];
  const h = parsed.data;
  const rows: [string, string | undefined][] = [
    ['Epochs', String(h.epochs)],
    ['Batch size', String(h.batchSize)],
    ['Learning rate', h.learningRate !== undefined ? String(h.learningRate) : 'optimizer default'],
    ['Optimizer', h.optimizer ?? 'adam'],
    ['Loss', h.loss],
    ['Validation split', h.testSize !== undefined ? String(h.testSize) : undefined],
    ['Shuffle', h.shuffle === undefined ? undefined : h.shuffle ? 'yes' : 'no'],
    ['Seed', h.seed !== undefined ? String(h.seed) : undefined],
    [
      'Early stopping',
      h.earlyStopping ? `${h.earlyStopping.monitor}, patience ${h.earlyStopping.patience}` : undefined,
    ],
    ['Class weights', h.classWeights ? 'balanced' : undefined],
  ];
  return rows.filter((r): r is [string, string] => r[1] !== undefined);
}
