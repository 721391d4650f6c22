import { z } from 'zod';
import { getModelVersion, listModels, listVersions } from '../../services/models';
import {
  deploy,
  getModelJob,
  listDeployed,
  listModelJobs,
  MAX_PREDICT_ROWS,
  predictRows,
  startEvaluation,
  startScoring,
  undeploy,
} from '../../services/predictions';
import { protectedProcedure, router } from '../trpc';

const id = z.number().int().positive();
const project = z.object({ projectId: id });
const version = z.object({ projectId: id, resourceId: id });
const cell = z.union([z.number(), z.string().max(100), z.null()]);
/** A row by feature name, or the values in the model's column order. */
const row = z.union([z.array(cell).max(100_000), z.record(z.string().max(200), cell)]);

// The model registry and predictions (services/models.ts, services/predictions.ts). A model version is named
// by its MODEL resource id (`resourceId`); scorings and tests are jobs polled with `job`.
export const modelsRouter = router({
  /** Models of a project by name: versions count, latest version, the deployed one. */
  list: protectedProcedure
    .input(project)
    .query(({ ctx, input }) => listModels(ctx.deps.db, ctx.principal, input.projectId)),
  /** The versions of one model name, newest first, with run, dataset, hyperparameters and metrics. */
  versions: protectedProcedure
    .input(z.object({ projectId: id, name: z.string().min(1).max(500) }))
    .query(({ ctx, input }) => listVersions(ctx.deps.db, ctx.principal, input.projectId, input.name)),
  /** One version with its signature (features, classes) and its model tests. */
  get: protectedProcedure
    .input(version)
    .query(({ ctx, input }) => getModelVersion(ctx.deps, ctx.principal, input.projectId, input.resourceId)),
  /** Marks the version as its name's deployed one (replacing another version of the name). */
  deploy: protectedProcedure
    .input(version)
    .mutation(({ ctx, input }) => deploy(ctx.deps, ctx.principal, input.projectId, input.resourceId)),
  undeploy: protectedProcedure
    .input(version)
    .mutation(({ ctx, input }) => undeploy(ctx.deps, ctx.principal, input.projectId, input.resourceId)),
  /** Deployed models of a project, or of every project the caller sees. */
  deployed: protectedProcedure
    .input(z.object({ projectId: id.optional() }))
    .query(({ ctx, input }) => listDeployed(ctx.deps.db, ctx.principal, input.projectId)),
  /** Predicts up to MAX_PREDICT_ROWS rows: label + probabilities per class, or regression values. */
  predict: protectedProcedure
    .input(z.object({ projectId: id, resourceId: id, rows: z.array(row).min(1).max(MAX_PREDICT_ROWS) }))
    .mutation(({ ctx, input }) =>
      predictRows(ctx.deps, ctx.principal, input.projectId, input.resourceId, input.rows),
    ),
  /** Starts scoring a CSV dataset resource; poll `job` for progress and `resultResourceId`. */
  score: protectedProcedure
    .input(z.object({ projectId: id, resourceId: id, datasetResourceId: id }))
    .mutation(({ ctx, input }) =>
      startScoring(ctx.deps, ctx.principal, input.projectId, input.resourceId, input.datasetResourceId),
    ),
  /** Starts a model test on a labelled CSV dataset resource; poll `job` for the report (`result`). */
  evaluate: protectedProcedure
    .input(
      z.object({
        projectId: id,
        resourceId: id,
        datasetResourceId: id,
        labelColumn: z.string().min(1).max(200).optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      startEvaluation(
        ctx.deps,
        ctx.principal,
        input.projectId,
        input.resourceId,
        input.datasetResourceId,
        input.labelColumn ? { labelColumn: input.labelColumn } : {},
      ),
    ),
  /** One scoring or test job (status, progress, rowsDone, result, resultResourceId, error). */
  job: protectedProcedure
    .input(z.object({ projectId: id, jobId: id }))
    .query(({ ctx, input }) => getModelJob(ctx.deps.db, ctx.principal, input.projectId, input.jobId)),
  /** Jobs of a project (optionally of one version, or of one kind), newest first. */
  jobs: protectedProcedure
    .input(
      z.object({
        projectId: id,
        resourceId: id.optional(),
        /** Only scorings (SCORE) or only tests (EVALUATE). */
        kind: z.enum(['SCORE', 'EVALUATE']).optional(),
        take: z.number().int().min(1).max(1000).optional(),
      }),
    )
    .query(({ ctx, input }) =>
      listModelJobs(ctx.deps.db, ctx.principal, input.projectId, {
        ...(input.resourceId !== undefined ? { modelResourceId: input.resourceId } : {}),
        ...(input.kind ? { kind: input.kind } : {}),
        ...(input.take !== undefined ? { take: input.take } : {}),
      }),
    ),
});
