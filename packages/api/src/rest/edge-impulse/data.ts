// Edge Impulse's data path on the Studio API (`/v1`): samples (raw-data), the project's development keys,
// live classification of a stored sample, model testing and deployment downloads. Thin skins over
// services/samples.ts (samples, impulse -> features) and services/predictions.ts (predict rows, model
// tests). Fidelity note: /work/shared/docs/fidelity/edge-impulse.md section 2.1 (rawData.*, classify.*,
// jobs.startEvaluateJob, deployment.*).
import type { Db, LearnBlock, Sample } from '@trainhub/db';
import { z } from 'zod';
import type { Principal } from '../../auth/principal';
import { requireProject } from '../../services/access';
import { DomainError } from '../../services/errors';
import { lastLearnBlockExecution, listLearnBlocks } from '../../services/learn-blocks';
import { startModelTesting, type ModelTestingKind } from '../../services/model-testing';
import { predictRows, MAX_PREDICT_ROWS } from '../../services/predictions';
import { openResource } from '../../services/resources';
import {
  SAMPLE_CATEGORIES,
  countSamples,
  deleteSample,
  getSample,
  impulsePipeline,
  listSamples,
  projectHmacKey,
  sampleFeatures,
  type ImpulsePipeline,
} from '../../services/samples';
import { fileResponse, json, route, type RestDeps, type RouteDef } from '../http';
import { projectIdParams, startJobResponseSchema } from './contracts';

const SECURITY = ['ApiKeyAuthentication', 'JWTAuthentication', 'JWTHttpHeaderAuthentication'];

const sampleParams = projectIdParams.extend({ sampleId: z.coerce.number().int().positive() });
const labelsQuery = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined || raw === '') return undefined;
    if (raw.startsWith('[')) {
      try {
        const list = JSON.parse(raw) as unknown;
        if (Array.isArray(list)) return list.map(String);
      } catch {
        // reported below
      }
      ctx.addIssue({ code: 'custom', message: 'labels must be a JSON array of strings' });
      return z.NEVER;
    }
    return raw.split(',');
  });
const listQuery = z.object({
  category: z.enum(SAMPLE_CATEGORIES),
  labels: labelsQuery,
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
  offset: z.coerce.number().int().min(0).optional(),
});
const countQuery = listQuery.pick({ category: true, labels: true });
const deploymentQuery = z.object({
  type: z.string().min(1),
  modelType: z.string().optional(),
  engine: z.string().optional(),
});

/** Deployment formats this platform writes (the trained model's stored zip). */
export const DEPLOYMENT_FORMATS = {
  tfjs: 'TensorFlow.js layers model (model.json + weights) with metadata.json, zipped',
} as const;

/** Edge Impulse's Sample model for a stored sample (fields without a counterpart get neutral values). */
function presentSample(s: Omit<Sample, 'values'>) {
  const sensors = (s.sensors as { name: string; units: string }[]).map((x, index) => ({ index, ...x }));
  const frequency = 1000 / s.intervalMs;
  const totalLengthMs = s.valuesCount * s.intervalMs;
  return {
    id: s.id,
    filename: s.filename,
    signatureValidate: false,
    created: s.createdAt.toISOString(),
    lastModified: s.createdAt.toISOString(),
    category: s.category,
    coldstorageFilename: `samples/${s.id}`,
    label: s.label,
    intervalMs: s.intervalMs,
    frequency,
    originalIntervalMs: s.intervalMs,
    originalFrequency: frequency,
    ...(s.deviceName ? { deviceName: s.deviceName } : {}),
    deviceType: s.deviceType,
    sensors,
    valuesCount: s.valuesCount,
    totalLengthMs,
    added: s.createdAt.toISOString(),
    boundingBoxes: [],
    boundingBoxesType: 'object_detection' as const,
    chartType: 'chart' as const,
    isDisabled: false,
    isProcessing: false,
    processingError: false,
    isCropped: false,
    metadata: (s.metadata as Record<string, string> | null) ?? {},
    projectId: s.projectId,
    sha256Hash: s.sha256Hash,
    datastreams: [
      {
        index: 0,
        chartType: 'chart' as const,
        intervalMs: s.intervalMs,
        frequencyHz: frequency,
        sensors,
        valuesCount: s.valuesCount,
        totalLengthMs,
      },
    ],
  };
}

/** GetSampleResponse's sample + payload (the values as stored). */
function presentSampleData(s: Sample) {
  const payload = {
    ...(s.deviceName ? { device_name: s.deviceName } : {}),
    device_type: s.deviceType,
    sensors: (s.sensors as { name: string; units: string }[]).map((x, index) => ({ index, ...x })),
    values: s.values as number[][],
    intervalMs: s.intervalMs,
    frequencyHz: 1000 / s.intervalMs,
  };
  const total = s.valuesCount;
  return {
    sample: presentSample(s),
    payload,
    totalPayloadLength: total,
    datastreamPayloads: [{ index: 0, payload, totalPayloadLength: total }],
  };
}

const clientIdOf = (block: { id: number; blockId: number | null }) => block.blockId ?? block.id;

/** The impulse's pipeline for a learn block (its `dsp` ids); INVALID when the impulse has no input/DSP block. */
function pipelineOf(impulse: unknown, block: LearnBlock): ImpulsePipeline {
  const sent = (impulse as { learnBlocks?: Record<string, { dsp?: unknown }> } | null)?.learnBlocks?.[
    String(clientIdOf(block))
  ];
  const dspIds = Array.isArray(sent?.dsp) ? sent.dsp.map(Number) : undefined;
  const pipeline = impulsePipeline(impulse, dspIds);
  if (!pipeline)
    throw new DomainError(
      'INVALID',
      'the impulse has no time-series input block and raw/flatten DSP block: set them with createImpulse',
    );
  return pipeline;
}

/** The project's learn blocks with a trained model (newest completed training of each). */
async function trainedBlocks(db: Db, principal: Principal, projectId: number) {
  const blocks = await listLearnBlocks(db, principal, projectId);
  const out: { block: LearnBlock; modelResourceId: number }[] = [];
  for (const block of blocks) {
    const { execution } = await lastLearnBlockExecution(db, principal, projectId, block.id);
    if (execution?.modelResourceId) out.push({ block, modelResourceId: execution.modelResourceId });
  }
  return out;
}

function presentLearnBlock(block: LearnBlock, impulse: unknown) {
  const sent = (impulse as { learnBlocks?: Record<string, { dsp?: unknown }> } | null)?.learnBlocks?.[
    String(clientIdOf(block))
  ];
  return {
    id: clientIdOf(block),
    type: block.type,
    name: block.name,
    title: block.title,
    dsp: Array.isArray(sent?.dsp) ? sent.dsp.map(Number) : [],
  };
}

/**
 * Classifies one stored sample with every trained learn block: the sample cut into windows by the input
 * block, each window's features through the DSP blocks, predicted by predictions.predictRows.
 */
async function classifySample(deps: RestDeps, principal: Principal, projectId: number, sampleId: number) {
  const project = await requireProject(deps.db, principal, projectId, 'VIEWER');
  const sample = await getSample(deps.db, principal, projectId, sampleId);
  const trained = await trainedBlocks(deps.db, principal, projectId);
  if (trained.length === 0)
    throw new DomainError('INVALID', 'no learn block has a trained model: train first');
  let input: ImpulsePipeline['input'] | null = null;
  const classifications = [];
  for (const { block, modelResourceId } of trained) {
    const pipeline = pipelineOf(project.impulse, block);
    input = pipeline.input;
    const { rows, startsMs } = sampleFeatures(sample, pipeline);
    if (rows.length === 0)
      throw new DomainError(
        'INVALID',
        `the sample is shorter than one window (${pipeline.input.windowSizeMs} ms)`,
      );
    const predictions = [];
    for (let i = 0; i < rows.length; i += MAX_PREDICT_ROWS)
      predictions.push(
        ...(
          await predictRows(deps, principal, projectId, modelResourceId, rows.slice(i, i + MAX_PREDICT_ROWS))
        ).predictions,
      );
    const windowRows = Math.max(1, Math.round(pipeline.input.windowSizeMs / sample.intervalMs));
    classifications.push({
      learnBlock: presentLearnBlock(block, project.impulse),
      result: predictions.map((pr) =>
        'probabilities' in pr ? pr.probabilities : (pr as { values: Record<string, number> }).values,
      ),
      minimumConfidenceRating: 0.6,
      expectedLabels: startsMs.map((ms) => {
        const startIndex = Math.round(ms / sample.intervalMs);
        return { startIndex, endIndex: startIndex + windowRows - 1, label: sample.label };
      }),
      thresholds: [],
      intervalMs: sample.intervalMs,
      frequencyHz: 1000 / sample.intervalMs,
      resultCount: predictions.length,
    });
  }
  return {
    success: true,
    classifications,
    sample: presentSampleData(sample),
    windowSizeMs: input!.windowSizeMs,
    windowIncreaseMs: input!.windowIncreaseMs ?? input!.windowSizeMs,
    alreadyInDatabase: true,
  };
}

/**
 * Starts model testing (`evaluate`) or classification of all test data (`classify`) of every trained learn
 * block as one job (services/model-testing.ts): its id answers GET jobs/{id}/status and stdout like a
 * training's; the results are then served by GET deployment/evaluate and classify/all/result.
 */
async function startTestingJob(
  deps: RestDeps,
  principal: Principal,
  projectId: number,
  kind: ModelTestingKind,
) {
  const project = await requireProject(deps.db, principal, projectId, 'EDITOR');
  const trained = await trainedBlocks(deps.db, principal, projectId);
  return startModelTesting(
    deps,
    principal,
    projectId,
    kind,
    trained.map(({ block, modelResourceId }) => ({
      learnBlockId: clientIdOf(block),
      modelResourceId,
      pipeline: pipelineOf(project.impulse, block),
    })),
  );
}

/** The newest model test of each trained learn block, as Edge Impulse's ModelVariantStats. */
async function modelTestingResults(db: Db, principal: Principal, projectId: number) {
  await requireProject(db, principal, projectId, 'VIEWER');
  const trained = await trainedBlocks(db, principal, projectId);
  const result = [];
  for (const { block, modelResourceId } of trained) {
    const job = await db.modelJob.findFirst({
      where: { projectId, modelResourceId, kind: 'EVALUATE', status: 'COMPLETED' },
      orderBy: { id: 'desc' },
    });
    const report = job?.result as
      | { classNames?: string[]; confusionMatrix?: number[][]; accuracy?: number; samples?: number }
      | null
      | undefined;
    if (!report?.classNames || !report.confusionMatrix) continue;
    const names = report.classNames;
    const correct = names.reduce((sum, _, i) => sum + (report.confusionMatrix![i]?.[i] ?? 0), 0);
    result.push({
      modelType: 'float32' as const,
      learnBlockId: clientIdOf(block),
      learnBlockType: block.type,
      confusionMatrix: Object.fromEntries(
        names.map((truth, i) => [
          truth,
          Object.fromEntries(names.map((pred, j) => [pred, { raw: report.confusionMatrix![i]?.[j] ?? 0 }])),
        ]),
      ),
      trainingLabels: names,
      classificationLabels: names,
      totalWindowCount: report.samples ?? 0,
      totalCorrectWindowCount: { raw: correct },
      accuracy: { raw: report.accuracy ?? 0 },
    });
  }
  if (result.length === 0)
    throw new DomainError('NOT_FOUND', 'no model testing result: run the evaluate job first');
  return result;
}

/** One route for each of Edge Impulse's two model testing starts: the same job, of its kind. */
const testingJobRoute = (kind: ModelTestingKind, operationId: string, summary: string) =>
  route({
    method: 'POST',
    path: `/api/{projectId}/jobs/${kind}`,
    operationId,
    summary,
    tags: ['Jobs'],
    params: projectIdParams,
    response: startJobResponseSchema,
    security: SECURITY,
    async handler({ principal, params, deps }) {
      const { id } = await startTestingJob(deps, principal, params.projectId, kind);
      return json({ success: true, id });
    },
  });

/** The Studio API's data-path routes, appended to the Edge Impulse style. */
export const eiDataRoutes: RouteDef[] = [
  route({
    method: 'GET',
    path: '/api/{projectId}/raw-data',
    operationId: 'listSamples',
    summary: 'Samples of a category (training|testing), optionally of some labels (JSON array), paged',
    tags: ['RawData'],
    params: projectIdParams,
    query: listQuery,
    response: z.object({ success: z.boolean(), samples: z.array(z.unknown()), totalCount: z.number() }),
    security: SECURITY,
    async handler({ principal, params, query, deps }) {
      const { samples, totalCount } = await listSamples(deps.db, principal, params.projectId, query);
      return json({ success: true, samples: samples.map(presentSample), totalCount });
    },
  }),
  route({
    method: 'GET',
    path: '/api/{projectId}/raw-data/count',
    operationId: 'countSamples',
    summary: 'How many samples a category (and labels) holds',
    tags: ['RawData'],
    params: projectIdParams,
    query: countQuery,
    response: z.object({ success: z.boolean(), count: z.number() }),
    security: SECURITY,
    async handler({ principal, params, query, deps }) {
      const count = await countSamples(deps.db, principal, params.projectId, query);
      return json({ success: true, count });
    },
  }),
  route({
    method: 'GET',
    path: '/api/{projectId}/raw-data/{sampleId}',
    operationId: 'getSample',
    summary: 'One sample with its values (payload)',
    tags: ['RawData'],
    params: sampleParams,
    response: z.object({ success: z.boolean(), sample: z.unknown(), payload: z.unknown() }),
    security: SECURITY,
    async handler({ principal, params, deps }) {
      const sample = await getSample(deps.db, principal, params.projectId, params.sampleId);
      return json({ success: true, ...presentSampleData(sample) });
    },
  }),
  route({
    method: 'DELETE',
    path: '/api/{projectId}/raw-data/{sampleId}',
    operationId: 'deleteSample',
    summary: 'Delete a sample',
    tags: ['RawData'],
    params: sampleParams,
    response: z.object({ success: z.boolean() }),
    security: SECURITY,
    async handler({ principal, params, deps }) {
      await deleteSample(deps.db, principal, params.projectId, params.sampleId);
      return json({ success: true });
    },
  }),
  route({
    method: 'GET',
    path: '/api/{projectId}/devkeys',
    operationId: 'listDevkeys',
    summary: 'The project’s HMAC key for signing data acquisition documents (HS256); admin',
    tags: ['Projects'],
    params: projectIdParams,
    response: z.object({ success: z.boolean(), hmacKey: z.string() }),
    security: SECURITY,
    async handler({ principal, params, deps }) {
      await requireProject(deps.db, principal, params.projectId, 'ADMIN');
      return json({ success: true, hmacKey: projectHmacKey(deps.jwtSecret, params.projectId) });
    },
  }),
  route({
    method: 'GET',
    path: '/api/{projectId}/classify/{sampleId}',
    operationId: 'classifySample',
    summary: 'Live classification of a stored sample: one result per window and trained learn block',
    tags: ['Classify'],
    params: sampleParams,
    response: z.object({ success: z.boolean(), classifications: z.array(z.unknown()) }),
    security: SECURITY,
    async handler({ principal, params, deps }) {
      return json(await classifySample(deps, principal, params.projectId, params.sampleId));
    },
  }),
  testingJobRoute(
    'evaluate',
    'startEvaluateJob',
    'Start model testing on the testing samples (every trained learn block): a job read by GET ' +
      'jobs/{jobId}/status and stdout; results at GET deployment/evaluate',
  ),
  testingJobRoute(
    'classify',
    'startClassifyJob',
    'Start classifying all test data (the model test of jobs/evaluate, as a job of its own): results at ' +
      'GET classify/all/result',
  ),
  route({
    method: 'GET',
    path: '/api/{projectId}/classify/all/result',
    operationId: 'getClassifyJobResult',
    summary: 'Per-sample results of classifying the testing category with each trained learn block',
    tags: ['Classify'],
    params: projectIdParams,
    response: z.object({ success: z.boolean(), result: z.array(z.unknown()) }),
    security: SECURITY,
    async handler({ principal, params, deps }) {
      const { projectId } = params;
      const { samples } = await listSamples(deps.db, principal, projectId, {
        category: 'testing',
        limit: 1000,
      });
      const result = [];
      for (const s of samples) {
        const c = await classifySample(deps, principal, projectId, s.id);
        result.push({ sampleId: s.id, sample: presentSample(s), classifications: c.classifications });
      }
      return json({
        success: true,
        result,
        predictionsPerSample: true,
        accuracy: await modelTestingResults(deps.db, principal, projectId).catch(() => []),
      });
    },
  }),
  route({
    method: 'GET',
    path: '/api/{projectId}/deployment/evaluate',
    operationId: 'getEvaluateJobResult',
    summary: 'Model testing results (ModelVariantStats per trained learn block: confusion matrix, accuracy)',
    tags: ['Deployment'],
    params: projectIdParams,
    response: z.object({ success: z.boolean(), result: z.array(z.unknown()) }),
    security: SECURITY,
    async handler({ principal, params, deps }) {
      return json({ success: true, result: await modelTestingResults(deps.db, principal, params.projectId) });
    },
  }),
  route({
    method: 'GET',
    path: '/api/{projectId}/deployment',
    operationId: 'getDeployment',
    summary: `Whether a download of the trained model exists for a format (type: ${Object.keys(DEPLOYMENT_FORMATS).join(', ')})`,
    tags: ['Deployment'],
    params: projectIdParams,
    query: deploymentQuery,
    response: z.object({ success: z.boolean(), hasDeployment: z.boolean(), version: z.number().optional() }),
    security: SECURITY,
    async handler({ principal, params, query, deps }) {
      formatOf(query.type);
      await requireProject(deps.db, principal, params.projectId, 'VIEWER');
      const newest = await newestModel(deps.db, principal, params.projectId);
      return json({
        success: true,
        hasDeployment: newest !== undefined,
        ...(newest ? { version: newest } : {}),
      });
    },
  }),
  route({
    method: 'GET',
    path: '/api/{projectId}/deployment/download',
    operationId: 'downloadBuild',
    summary: `The trained model as a zip (type: ${Object.keys(DEPLOYMENT_FORMATS).join(', ')}); the newest trained learn block`,
    tags: ['Deployment'],
    params: projectIdParams,
    query: deploymentQuery,
    response: 'file',
    security: SECURITY,
    async handler({ principal, params, query, deps }) {
      const { projectId } = params;
      formatOf(query.type);
      const newest = await newestModel(deps.db, principal, projectId);
      if (newest === undefined)
        throw new DomainError('NOT_FOUND', 'no trained model: train a learn block first');
      const { resource, stream } = await openResource(deps, principal, projectId, newest);
      return fileResponse(
        stream,
        `project-${projectId}-${query.type}-v${resource.id}.zip`,
        'application/zip',
        resource.size,
      );
    },
  }),
];

/** The newest trained model of the project's learn blocks (its resource id), if any. */
async function newestModel(db: Db, principal: Principal, projectId: number) {
  const trained = await trainedBlocks(db, principal, projectId);
  return trained.map((t) => t.modelResourceId).sort((a, b) => b - a)[0];
}

function formatOf(type: string): keyof typeof DEPLOYMENT_FORMATS {
  if (!(type in DEPLOYMENT_FORMATS))
    throw new DomainError(
      'INVALID',
      `unknown deployment type "${type}": this platform writes ${Object.entries(DEPLOYMENT_FORMATS)
        .map(([k, v]) => `${k} (${v})`)
        .join(', ')}`,
    );
  return type as keyof typeof DEPLOYMENT_FORMATS;
}
