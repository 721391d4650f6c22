import { z } from 'zod';
import { MlInputError } from './errors.ts';

/**
 * The model spec: our versioned JSON format for an architecture. It is also the MLW `.architecture`
 * resource format (see the package README). The output head is not part of the spec: it is derived from the
 * problem type when the model is built (softmax over the classes, one sigmoid unit, or linear targets).
 */
export const SPEC_FORMAT = 'trainhub.architecture';
export const SPEC_VERSION = 1;

export const activationSchema = z.enum([
  'relu',
  'relu6',
  'elu',
  'selu',
  'leakyRelu',
  'sigmoid',
  'tanh',
  'softmax',
  'softplus',
  'softsign',
  'swish',
  'gelu',
  'linear',
]);
export type Activation = z.infer<typeof activationSchema>;

const base = {
  /** Disabled layers are kept in the spec (as Edge Impulse does) but skipped when the model is built. */
  enabled: z.boolean().optional(),
  name: z.string().min(1).max(100).optional(),
};
const positiveInt = z.number().int().positive();
const kernel = z.union([positiveInt, z.tuple([positiveInt, positiveInt])]);
const padding = z.enum(['same', 'valid']);

const poolSchema = z.object({
  type: z.enum(['max', 'avg']).default('max'),
  size: positiveInt.default(2),
  strides: positiveInt.optional(),
  padding: padding.default('same'),
});

export const layerSchema = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('dense'),
    units: positiveInt,
    activation: activationSchema.default('relu'),
  }),
  z.object({
    ...base,
    type: z.literal('conv1d'),
    filters: positiveInt,
    kernelSize: positiveInt.default(3),
    strides: positiveInt.default(1),
    padding: padding.default('same'),
    activation: activationSchema.default('relu'),
    /** Convolutions stacked before the pooling (Edge Impulse's "layers"). */
    stack: positiveInt.default(1),
    /** Pooling after the stack; null for none. */
    pool: poolSchema.nullable().default({ type: 'max', size: 2, padding: 'same' }),
  }),
  z.object({
    ...base,
    type: z.literal('conv2d'),
    filters: positiveInt,
    kernelSize: kernel.default(3),
    strides: kernel.default(1),
    padding: padding.default('same'),
    activation: activationSchema.default('relu'),
    stack: positiveInt.default(1),
    pool: poolSchema.nullable().default({ type: 'max', size: 2, padding: 'same' }),
  }),
  z.object({
    ...base,
    type: z.literal('depthwiseConv2d'),
    kernelSize: kernel.default(3),
    depthMultiplier: positiveInt.default(1),
    strides: kernel.default(1),
    padding: padding.default('same'),
    activation: activationSchema.default('relu'),
  }),
  z.object({
    ...base,
    type: z.enum(['maxPool1d', 'avgPool1d', 'maxPool2d', 'avgPool2d']),
    poolSize: kernel.default(2),
    strides: kernel.optional(),
    padding: padding.default('valid'),
  }),
  z.object({
    ...base,
    type: z.enum(['globalAvgPool1d', 'globalMaxPool1d', 'globalAvgPool2d', 'globalMaxPool2d']),
  }),
  z.object({
    ...base,
    type: z.literal('reshape'),
    /** Edge Impulse style: reshape the flat input to [length / columns, columns]. */
    columns: positiveInt.optional(),
    /** Or an explicit per-sample shape (one entry may be -1). */
    targetShape: z.array(z.number().int()).min(1).optional(),
  }),
  z.object({ ...base, type: z.literal('flatten') }),
  z.object({ ...base, type: z.literal('dropout'), rate: z.number().min(0).lt(1) }),
  z.object({
    ...base,
    type: z.literal('batchNormalization'),
    momentum: z.number().min(0).max(1).default(0.99),
  }),
  z.object({ ...base, type: z.literal('activation'), activation: activationSchema }),
  z.object({
    ...base,
    type: z.literal('transfer'),
    /** Name of a base model folder in the model store (`TRAINHUB_MODEL_STORE`), holding tfjs model.json. */
    model: z.string().min(1),
    /** Train the base too (fine-tuning). Default false: the base is frozen and only the head trains. */
    trainable: z.boolean().default(false),
  }),
]);
export type LayerSpec = z.infer<typeof layerSchema>;
export type LayerType = LayerSpec['type'];
// Distributes over the spec's variants L and the types T (both naked type parameters).
type VariantOf<L, T> = L extends { type: infer U } ? (T extends U ? L & { type: T } : never) : never;
/** The spec of layer type T (a pool layer's variant narrowed to T; a union T gives a union). */
export type LayerOf<T extends LayerType> = VariantOf<LayerSpec, T>;

export const modelSpecSchema = z.object({
  format: z.literal(SPEC_FORMAT).default(SPEC_FORMAT),
  version: z.literal(SPEC_VERSION).default(SPEC_VERSION),
  name: z.string().max(200).optional(),
  /** Per-sample input shape, e.g. [784] or [28, 28, 1]. */
  input: z.object({ shape: z.array(positiveInt).min(1).max(4) }),
  layers: z.array(layerSchema).max(200),
  /** Output head options; the head itself comes from the problem type. */
  output: z
    .object({
      /** Dropout before the head (0 = none). */
      dropout: z.number().min(0).lt(1).default(0),
    })
    .default({ dropout: 0 }),
});
export type ModelSpec = z.infer<typeof modelSpecSchema>;
export type ModelSpecInput = z.input<typeof modelSpecSchema>;

/** Validate and normalize a spec (fills defaults). Throws MlInputError('INVALID_SPEC') naming the field. */
export function parseModelSpec(input: unknown): ModelSpec {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new MlInputError('INVALID_SPEC', `Model spec is not valid JSON: ${(error as Error).message}`);
    }
  }
  const result = modelSpecSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.join('.');
    throw new MlInputError('INVALID_SPEC', `Invalid model spec at ${path || '(root)'}: ${issue.message}`, {
      path,
      issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return result.data;
}

export type ProblemType = 'classification' | 'binary' | 'regression';
