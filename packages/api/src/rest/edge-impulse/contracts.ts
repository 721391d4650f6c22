import { z } from 'zod';

// The Edge Impulse style: every request and response under /v1. Every JSON answer is an envelope
// `{ success, error? }`.

export const EI_BASE = '/v1';

export const genericResponseSchema = z.object({ success: z.boolean(), error: z.string().optional() });
const ok = <T extends z.ZodRawShape>(shape: T) => genericResponseSchema.extend(shape);

export const projectIdParams = z.object({ projectId: z.coerce.number().int().positive() });
export const learnParams = projectIdParams.extend({ learnId: z.coerce.number().int().positive() });
export const jobParams = projectIdParams.extend({ jobId: z.coerce.number().int().positive() });

export const apiLoginRequestSchema = z.object({
  username: z.string().min(1).max(320),
  password: z.string().min(1).max(1024),
  uuid: z.string().optional(),
  ssoType: z.string().optional(),
  sessionId: z.string().optional(),
  totpToken: z.string().optional(),
});
export const apiLoginResponseSchema = ok({ token: z.string().optional() });

/** Edge Impulse's Project model: every required field (values this platform lacks are neutral ones). */
export const projectSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  description: z.string(),
  created: z.string(),
  owner: z.string(),
  ownerIsDeveloperProfile: z.boolean(),
  collaborators: z.array(z.unknown()),
  labelingMethod: z.enum(['single_label', 'object_detection', 'label_map']),
  metadata: z.record(z.string(), z.unknown()),
  isEnterpriseProject: z.boolean(),
  whitelabelId: z.number().int().nullable(),
  tier: z.enum(['free', 'community-plus', 'professional', 'enterprise']),
  hasPublicVersion: z.boolean(),
  isPublic: z.boolean(),
  allowsLivePublicAccess: z.boolean(),
  indPauseProcessingSamples: z.boolean(),
  publicProjectListed: z.boolean(),
});
export const listProjectsResponseSchema = ok({ projects: z.array(projectSchema).optional() });
export const createProjectRequestSchema = z.object({
  projectName: z.string().trim().min(1).max(200),
  projectVisibility: z.enum(['public', 'private']).optional(),
  /** Default true: the answer carries a new admin API key of the project. */
  createApiKey: z.boolean().optional(),
});
export const createProjectResponseSchema = ok({
  id: z.number().int().optional(),
  apiKey: z.string().optional(),
});
export const projectInfoResponseSchema = ok({
  project: projectSchema.optional(),
}).catchall(z.unknown());

/** Edge Impulse's project API key roles (ProjectApiKeyRole). */
export const eiKeyRoles = ['admin', 'readonly', 'ingestiononly', 'ingestion_deployment'] as const;
export const projectApiKeySchema = z.object({
  id: z.number().int(),
  apiKey: z.string(),
  isDevelopmentKey: z.boolean(),
  name: z.string(),
  created: z.string(),
  role: z.enum(eiKeyRoles),
});
export const listApiKeysResponseSchema = ok({ apiKeys: z.array(projectApiKeySchema).optional() });
export const addApiKeyRequestSchema = z.object({
  name: z.string().trim().min(1).max(200),
  isDevelopmentKey: z.boolean(),
  role: z.enum(eiKeyRoles),
  apiKey: z.string().max(200).optional(),
  ttl: z.number().int().positive().optional(),
});
export const addApiKeyResponseSchema = ok({
  id: z.number().int().optional(),
  apiKey: z.string().optional(),
});
export const apiKeyInfoResponseSchema = ok({
  apiKeyId: z.number().int().optional(),
  projectId: z.number().int().optional(),
  role: z.enum(eiKeyRoles).optional(),
});
export const getUserResponseSchema = ok({}).catchall(z.unknown());

export const learnBlockSchema = z.object({
  id: z.number().int(),
  type: z.string(),
  name: z.string(),
  title: z.string(),
  dsp: z.array(z.number().int()),
  primaryVersion: z.boolean(),
});
export const impulseSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  type: z.enum(['default', 'BYOM', 'VLM']),
  inputBlocks: z.array(z.unknown()),
  dspBlocks: z.array(z.unknown()),
  learnBlocks: z.array(learnBlockSchema),
  postProcessingBlocks: z.array(z.unknown()),
});
export const getImpulseResponseSchema = ok({ impulse: impulseSchema.optional() });

// Input, DSP and post-processing blocks are stored and returned as sent (fields this platform does not use
// included); the fields Edge Impulse requires are checked.
const blockBase = {
  id: z.number().int().positive(),
  type: z.string().min(1).max(100),
  name: z.string().min(1).max(200),
  title: z.string().min(1).max(200),
};
export const setImpulseRequestSchema = z.object({
  name: z.string().max(200).optional(),
  type: z.enum(['default', 'BYOM', 'VLM']).optional(),
  inputBlocks: z.array(z.looseObject(blockBase)).max(50).default([]),
  dspBlocks: z
    .array(
      z.looseObject({
        ...blockBase,
        axes: z.array(z.string().max(200)).max(1000).default([]),
        implementationVersion: z.number().int().default(1),
      }),
    )
    .max(50)
    .default([]),
  learnBlocks: z
    .array(
      z.looseObject({
        // Optional for clients of this platform that let it choose (the answer carries the id chosen).
        id: z.number().int().positive().max(2_147_483_647).optional(),
        type: z.string().min(1).max(60).default('keras'),
        name: z.string().min(1).max(200),
        title: z.string().min(1).max(200),
        dsp: z.array(z.number().int()).max(50).default([]),
      }),
    )
    .max(50),
  postProcessingBlocks: z.array(z.looseObject(blockBase)).max(50).default([]),
});
/** `id` is the impulse's id (Edge Impulse); `learnBlocks` (with the ids kept) for this platform's earlier clients. */
export const setImpulseResponseSchema = ok({
  id: z.number().int().optional(),
  learnBlocks: z.array(learnBlockSchema).optional(),
});
export const getNewBlockIdResponseSchema = ok({ blockId: z.number().int().optional() });

export const kerasVisualLayerTypes = [
  'dense',
  'conv1d',
  'conv2d',
  'reshape',
  'flatten',
  'dropout',
  'batchNormalization',
  'transfer_mobilenetv2_a35',
  'transfer_mobilenetv2_a1',
  'transfer_mobilenetv2_a05',
  'transfer_mobilenetv2_160_a1',
  'transfer_mobilenetv2_160_a75',
  'transfer_mobilenetv2_160_a5',
  'transfer_mobilenetv2_160_a35',
  'transfer_mobilenetv1_a25_d100',
  'transfer_mobilenetv1_a2_d100',
  'transfer_mobilenetv1_a1_d100',
  'transfer_kws_mobilenetv1_a1_d100',
  'transfer_kws_mobilenetv2_a35_d100',
  'transfer_kws_syntiant_ndp10x',
  'transfer_kws_conv2d_tiny',
  'object_ssd_mobilenet_v2_fpnlite_320x320',
  'fomo_mobilenet_v2_a01',
  'fomo_mobilenet_v2_a35',
  'transfer_organization',
  'transfer_akidanet_imagenet_160_a100',
  'transfer_akidanet_imagenet_160_a50',
  'transfer_akidanet_imagenet_160_a25',
  'transfer_akidanet_imagenet_224_a100',
  'transfer_akidanet_imagenet_224_a50',
  'transfer_akidanet_imagenet_224_a25',
  'fomo_akidanet_a50',
  'fomo_ad_gmm',
  'fomo_ad_patchcore',
] as const;

export const kerasVisualLayerSchema = z.object({
  type: z.enum(kerasVisualLayerTypes),
  neurons: z.number().int().min(1).max(100_000).optional(),
  kernelSize: z.number().int().min(1).max(1000).optional(),
  dropoutRate: z.number().min(0).max(1).optional(),
  columns: z.number().int().min(1).optional(),
  stack: z.number().int().min(1).max(100).optional(),
  enabled: z.boolean().optional(),
  organizationModelId: z.number().int().optional(),
});

/** SetKerasParameterRequest ("only fields defined in this object are set"; unknown fields are ignored). */
export const setKerasParameterRequestSchema = z.object({
  mode: z.enum(['expert', 'visual']).optional(),
  minimumConfidenceRating: z.number().min(0).max(1).optional(),
  selectedModelType: z.enum(['int8', 'float32', 'akida', 'requiresRetrain']).optional(),
  script: z.string().max(1_000_000).optional(),
  visualLayers: z.array(kerasVisualLayerSchema).max(200).optional(),
  trainingCycles: z.number().int().min(1).max(100_000).optional(),
  learningRate: z.number().gt(0).max(1).optional(),
  batchSize: z.number().int().min(1).max(1_000_000).optional(),
  trainTestSplit: z.number().gt(0).lt(1).optional(),
  autoClassWeights: z.boolean().optional(),
  useLearnedOptimizer: z.boolean().optional(),
  augmentationPolicyImage: z.enum(['none', 'all']).optional(),
  augmentationPolicySpectrogram: z
    .object({
      enabled: z.boolean(),
      warping: z.boolean().optional(),
      freqMasking: z.enum(['none', 'low', 'high']).optional(),
      timeMasking: z.enum(['none', 'low', 'high']).optional(),
      gaussianNoise: z.enum(['none', 'low', 'high']).optional(),
    })
    .optional(),
  profileInt8: z.boolean().optional(),
  skipEmbeddingsAndMemory: z.boolean().optional(),
  akidaEdgeLearningConfig: z
    .object({
      enabled: z.boolean(),
      additionalClasses: z.number().optional(),
      neuronsPerClass: z.number().optional(),
    })
    .optional(),
  customValidationMetadataKey: z.string().max(200).optional(),
  showAdvancedTrainingSettings: z.boolean().optional(),
  showAugmentationTrainingSettings: z.boolean().optional(),
  customParameters: z.record(z.string(), z.string().nullable()).optional(),
  anomalyCapacity: z.enum(['low', 'medium', 'high']).optional(),
  lastShownModelVariant: z.enum(['int8', 'float32', 'akida']).optional(),
  blockParameters: z.record(z.string(), z.unknown()).optional(),
  trainingProcessor: z.enum(['cpu', 'gpu']).optional(),
});
export type SetKerasParameterRequest = z.infer<typeof setKerasParameterRequestSchema>;
/** The body of setKeras and trainKerasJob: no body (or `null`) sets nothing, as `{}`. */
export const kerasSettingsBodySchema = setKerasParameterRequestSchema
  .nullish()
  .transform((settings) => settings ?? {});

export const startJobResponseSchema = ok({ id: z.number().int().optional() });

export const kerasResponseSchema = ok({
  name: z.string().optional(),
  type: z.string().optional(),
  trained: z.boolean().optional(),
  mode: z.enum(['expert', 'visual']).optional(),
  visualLayers: z.array(kerasVisualLayerSchema).optional(),
  trainingCycles: z.number().optional(),
  learningRate: z.number().optional(),
  batchSize: z.number().optional(),
  trainTestSplit: z.number().optional(),
  autoClassWeights: z.boolean().optional(),
  script: z.string().optional(),
}).catchall(z.unknown());

export const jobSchema = z.object({
  id: z.number().int(),
  category: z.string(),
  categoryKey: z.string(),
  key: z.string(),
  created: z.string(),
  started: z.string().optional(),
  finished: z.string().optional(),
  finishedSuccessful: z.boolean().optional(),
  jobNotificationUids: z.array(z.number().int()),
  computeTime: z.number().optional(),
});
export const jobStatusResponseSchema = ok({ job: jobSchema.optional() });
export const listJobsResponseSchema = ok({
  jobs: z.array(jobSchema).optional(),
  totalJobCount: z.number().int().optional(),
});
/** Log levels of job output lines, most severe first (a `logLevel` filter keeps its level and those before). */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type JobLogLevel = (typeof LOG_LEVELS)[number];
const booleanQuery = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const dateQuery = z.coerce.date();
export const listJobsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(20),
  offset: z.coerce.number().int().min(0).default(0),
  rootOnly: booleanQuery.optional(),
});
/** GET /jobs/all (listAllJobs): filters as Edge Impulse's; `category` and `key` match exactly. */
export const listAllJobsQuerySchema = listJobsQuerySchema.extend({
  startDate: dateQuery.optional(),
  endDate: dateQuery.optional(),
  // The bindings' listAllJobs sends successful | failed | all (jobsApi.d.ts listAllJobsQueryParams);
  // true | false | both were this server's own spelling before and stay accepted.
  finished: z.enum(['successful', 'failed', 'all', 'true', 'false', 'both']).optional(),
  category: z.string().max(200).optional(),
  key: z.string().max(200).optional(),
});
/** GET /jobs/history (listFinishedJobs). */
export const listFinishedJobsQuerySchema = listJobsQuerySchema.extend({
  startDate: dateQuery.optional(),
  endDate: dateQuery.optional(),
});
/**
 * stdout: the last `limit` lines (oldest first among them), as Edge Impulse ("only the last 1000 lines are
 * returned"); `logLevel` keeps lines of that level and more severe ones; `offset` (ours) skips newest lines.
 */
export const stdoutQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  offset: z.coerce.number().int().min(0).default(0),
  logLevel: z.enum(LOG_LEVELS).optional(),
});
export const jobLogsResponseSchema = ok({
  stdout: z
    .array(
      z.object({
        created: z.string(),
        data: z.string(),
        logLevel: z.enum(LOG_LEVELS).optional(),
      }),
    )
    .optional(),
  totalCount: z.number().int().optional(),
});

export const modelValidationMetricsSchema = z.object({
  type: z.enum(['int8', 'float32', 'akida']),
  loss: z.number(),
  accuracy: z.number().optional(),
  confusionMatrix: z.array(z.array(z.number())),
  report: z.record(z.string(), z.unknown()),
  onDevicePerformance: z.array(z.unknown()),
  visualization: z.enum(['featureExplorer', 'dataExplorer', 'none']),
  isSupportedOnMcu: z.boolean(),
  additionalMetrics: z.array(z.unknown()),
});
export const kerasMetadataResponseSchema = ok({
  hasTrainedModel: z.boolean().optional(),
  layers: z.array(z.unknown()).optional(),
  labels: z.array(z.string()).optional(),
  imageInputScaling: z.string().optional(),
  thresholds: z.array(z.unknown()).optional(),
  created: z.string().optional(),
  classNames: z.array(z.string()).optional(),
  modelValidationMetrics: z.array(modelValidationMetricsSchema).optional(),
  availableModelTypes: z.array(z.string()).optional(),
  recommendedModelType: z.string().optional(),
  mode: z.enum(['classification', 'regression', 'object-detection']).optional(),
  jobId: z.number().int().optional(),
});

export const socketTokenResponseSchema = ok({
  token: z.object({ socketToken: z.string(), expires: z.string() }).optional(),
});
