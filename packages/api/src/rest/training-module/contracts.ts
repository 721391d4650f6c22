import { z } from 'zod';
import { py } from './fastapi';

// The session style (Numenta training module), FastAPI conventions. Request contracts are pydantic-style
// validators (./fastapi.ts `py`): they coerce as pydantic's lax mode does and fail with FastAPI's exact
// errors. Each carries its JSON Schema (`.meta`) for the OpenAPI document.

export const TM_BASE = '/training-module';

/** FastAPI's ValidationError (`input` always, `ctx` for constrained types; no `url`). */
export const validationErrorItemSchema = z
  .object({
    type: z.string(),
    loc: z.array(z.union([z.string(), z.number().int()])),
    msg: z.string(),
    input: z.unknown(),
    ctx: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ title: 'ValidationError' });
export const validationErrorSchema = z
  .object({ detail: z.array(validationErrorItemSchema) })
  .meta({ title: 'HTTPValidationError' });
export const httpErrorSchema = z.object({ detail: z.string() });

export const keyParams = z.object({ key: py.str() });
export const forceRestartQuery = z.object({ force_restart: py.int().optional() });

/** TrainingConfigParams: every field optional, unknown fields ignored (pydantic's default). */
export const trainingConfigParamsShape = {
  model: py.str({ minLength: 1, maxLength: 200 }).optional(),
  task_type: py.enum(['classification', 'binary', 'regression']).optional(),
  batch_size: py.int({ ge: 1, le: 1_000_000 }).optional(),
  epochs: py.int({ ge: 1, le: 100_000 }).optional(),
  eval_metrics: py.list(py.str({ minLength: 1, maxLength: 40 })).optional(),
  epochs_per_test_run: py.int({ ge: 1 }).optional(),
  learning_rate: py.float({ gt: 0, le: 100 }).optional(),
  seed: py.int().optional(),
  init_eval: py.bool().optional(),
  cache_dir: py.str({ maxLength: 500 }).optional(),
  overwrite_cache: py.bool().optional(),
};
export const trainingConfigParamsSchema = py.model(trainingConfigParamsShape, 'TrainingConfigParams');

const configOut = z.object({
  model: z.string().optional(),
  task_type: z.string().optional(),
  batch_size: z.number().int().optional(),
  epochs: z.number().int().optional(),
  eval_metrics: z.array(z.string()).optional(),
  epochs_per_test_run: z.number().int().optional(),
  learning_rate: z.number().optional(),
  seed: z.number().int().optional(),
  init_eval: z.boolean().optional(),
  cache_dir: z.string().optional(),
  overwrite_cache: z.boolean().optional(),
});

/** The "server status dictionary" every answer carries. */
export const serverStatusSchema = z.object({
  state: z.enum(['setup', 'preprocessing', 'training', 'done']),
  message: z.string(),
  key: z.string().nullable().optional(),
  config: configOut.optional(),
  datasets: z.object({ train_file: z.string().nullable(), test_file: z.string().nullable() }).optional(),
  preprocess_status: z.enum(['not started', 'done', 'failed']).optional(),
  training_status: z.string().nullable().optional(),
  job_id: z.number().int().nullable().optional(),
  epoch: z.number().int().nullable().optional(),
  metrics: z.record(z.string(), z.number()).nullable().optional(),
  model_ready: z.boolean().optional(),
  /** Why the session failed (preprocessing or training, with the row and column where known), or null. */
  error: z.string().nullable().optional(),
});

export const importModelQuery = z.object({ model_type: py.str(), model_name: py.str() });
export const importedModelQuery = z.object({
  on_disk: py.str().optional(),
  tokenizer: py.str().optional(),
});
export const healthcheckSchema = z.object({ status: z.literal('ok'), message: z.string() });
