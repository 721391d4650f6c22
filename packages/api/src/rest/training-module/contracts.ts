import { z } from 'zod';

// The session style (Numenta training module), FastAPI conventions.

export const TM_BASE = '/training-module';

export const validationErrorSchema = z.object({
  detail: z.array(
    z.object({ loc: z.array(z.union([z.string(), z.number()])), msg: z.string(), type: z.string() }),
  ),
});
export const httpErrorSchema = z.object({ detail: z.string() });

export const keyParams = z.object({ key: z.string().min(1).max(200) });
export const forceRestartQuery = z.object({ force_restart: z.coerce.number().int().default(0) });

/** TrainingConfigParams: every field optional, unknown fields ignored (pydantic's default). */
export const trainingConfigParamsSchema = z.object({
  model: z.string().min(1).max(200).optional(),
  task_type: z.enum(['classification', 'binary', 'regression']).optional(),
  batch_size: z.number().int().min(1).max(1_000_000).optional(),
  epochs: z.number().int().min(1).max(100_000).optional(),
  eval_metrics: z.array(z.string().min(1).max(40)).max(20).optional(),
  epochs_per_test_run: z.number().int().min(1).optional(),
  learning_rate: z.number().gt(0).max(100).optional(),
  seed: z.number().int().optional(),
  init_eval: z.boolean().optional(),
  cache_dir: z.string().max(500).optional(),
  overwrite_cache: z.boolean().optional(),
});

export const serverStatusSchema = z.object({
  state: z.enum(['setup', 'preprocessing', 'training', 'done']),
  message: z.string(),
  key: z.string().optional(),
  config: trainingConfigParamsSchema.optional(),
  datasets: z.object({ train_file: z.string().nullable(), test_file: z.string().nullable() }).optional(),
  preprocess_status: z.string().optional(),
  training_status: z.string().nullable().optional(),
  job_id: z.number().int().nullable().optional(),
  epoch: z.number().int().nullable().optional(),
  metrics: z.record(z.string(), z.number()).nullable().optional(),
  model_ready: z.boolean().optional(),
});

export const importModelQuery = z.object({ model_type: z.string().min(1), model_name: z.string().min(1) });
export const importedModelQuery = z.object({
  on_disk: z.string().optional(),
  tokenizer: z.string().optional(),
});
export const healthcheckSchema = z.object({ status: z.literal('ok'), message: z.string() });
