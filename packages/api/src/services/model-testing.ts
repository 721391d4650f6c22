// Edge Impulse's model testing jobs (`POST /api/{projectId}/jobs/evaluate` and `jobs/classify`) as jobs a
// client polls like a training: started at once, then read by id through the same job status and stdout
// routes. One job tests every trained learn block: the testing samples' features (services/samples.ts) scored
// by a model test of services/predictions.ts per block. Fidelity note: /work/shared/docs/fidelity/
// edge-impulse.md section 2.1 (jobs.startEvaluateJob, jobs.startClassifyJob, jobs.getJobStatus).
import type { Db, ModelJob, Prisma } from '@trainhub/db';
import type { Principal } from '../auth/principal';
import { requireProject } from './access';
import { DomainError } from './errors';
import { getModelJob, startEvaluation } from './predictions';
import type { StoreDeps } from './resources';
import { writeFeatureDataset, type ImpulsePipeline } from './samples';

/**
 * Job ids of model testing jobs start above this number: the id is the first block's model test job id plus
 * this base. Training jobs are executions and keep their own ids (far below it), so one id space answers the
 * job routes of both kinds.
 */
export const MODEL_TESTING_JOB_ID_BASE = 1_000_000_000;

const INT32_MAX = 2_147_483_647;

/** Is this job id a model testing job's (else a training's)? */
export const isModelTestingJobId = (jobId: number): boolean => jobId > MODEL_TESTING_JOB_ID_BASE;

/** `evaluate` (model testing, results at deployment/evaluate) or `classify` (classify all test data). */
export type ModelTestingKind = 'evaluate' | 'classify';

/** What a job started for a learn block: its client id, its model and the impulse pipeline to its features. */
export interface TestedBlock {
  learnBlockId: number;
  modelResourceId: number;
  pipeline: ImpulsePipeline;
}

/** Kept in the first block's features dataset (resource metadata): the job's kind and its model tests. */
interface JobRecord {
  kind: ModelTestingKind;
  blocks: { modelJobId: number; learnBlockId: number; windows: number }[];
}
const RECORD_KEY = 'edgeImpulseJob';

const CATEGORY: Record<ModelTestingKind, string> = {
  evaluate: 'Model testing',
  classify: 'Classify all test data',
};

/**
 * Starts model testing of `blocks` on the project's labelled testing samples (editor role) and returns its
 * Edge Impulse job id at once (StartJobResponse.id). The features are written now (one CSV dataset per block,
 * one row per window); the model tests run in this web process (services/predictions.ts's job queue).
 * Errors: FORBIDDEN (viewer), INVALID (no block, or no testing sample giving a window).
 */
export async function startModelTesting(
  deps: StoreDeps,
  principal: Principal,
  projectId: number,
  kind: ModelTestingKind,
  blocks: TestedBlock[],
): Promise<{ id: number }> {
  await requireProject(deps.db, principal, projectId, 'EDITOR');
  if (blocks.length === 0)
    throw new DomainError('INVALID', 'no learn block has a trained model: train first');
  // Features first for every block, so that a block without testing windows starts nothing.
  const features = [];
  for (const block of blocks)
    features.push(await writeFeatureDataset(deps, principal, projectId, block.pipeline, 'testing'));
  const record: JobRecord = { kind, blocks: [] };
  for (const [i, block] of blocks.entries()) {
    const job = await startEvaluation(
      deps,
      principal,
      projectId,
      block.modelResourceId,
      features[i]!.resourceId,
      { labelColumn: 'label' },
    );
    record.blocks.push({
      modelJobId: job.id,
      learnBlockId: block.learnBlockId,
      windows: features[i]!.windows,
    });
  }
  // Every block's dataset holds the record (its head is blocks[0]): the socket feed finds a job from any of
  // its model tests.
  for (const { resourceId } of features) {
    const dataset = await deps.db.resource.findUniqueOrThrow({ where: { id: resourceId } });
    await deps.db.resource.update({
      where: { id: resourceId },
      data: {
        metadata: {
          ...((dataset.metadata as Record<string, unknown> | null) ?? {}),
          [RECORD_KEY]: record,
        } as unknown as Prisma.InputJsonValue,
      },
    });
  }
  return { id: MODEL_TESTING_JOB_ID_BASE + record.blocks[0]!.modelJobId };
}

const recordOf = (dataset: { metadata: unknown } | null | undefined): JobRecord | undefined =>
  (dataset?.metadata as Record<string, unknown> | null)?.[RECORD_KEY] as JobRecord | undefined;

/** A job's model tests, each with its learn block's client id and window count (null: a plain model test). */
interface Part {
  job: ModelJob;
  learnBlockId: number | null;
  windows: number | null;
}

/** The job's model tests (viewer role); NOT_FOUND "job not found" when the id is no model testing job here. */
async function jobParts(db: Db, principal: Principal, projectId: number, jobId: number) {
  // Model test ids are 32-bit database ids: anything past that is no job (PostgreSQL would refuse the read).
  if (!isModelTestingJobId(jobId) || jobId - MODEL_TESTING_JOB_ID_BASE > INT32_MAX)
    throw new DomainError('NOT_FOUND', 'job not found');
  const head = await getModelJob(db, principal, projectId, jobId - MODEL_TESTING_JOB_ID_BASE);
  if (head.kind !== 'EVALUATE') throw new DomainError('NOT_FOUND', 'job not found');
  const dataset = await db.resource.findUnique({ where: { id: head.datasetResourceId } });
  const record = recordOf(dataset);
  // A record names its head first; without one (a plain model test, or its dataset deleted) the job is the
  // one model test.
  if (!record || record.blocks[0]?.modelJobId !== head.id)
    return { kind: 'evaluate' as const, parts: [{ job: head, learnBlockId: null, windows: null }] };
  const parts: Part[] = [];
  for (const block of record.blocks)
    parts.push({
      job:
        block.modelJobId === head.id ? head : await getModelJob(db, principal, projectId, block.modelJobId),
      learnBlockId: block.learnBlockId,
      windows: block.windows,
    });
  return { kind: record.kind, parts };
}

const terminal = (job: ModelJob) => job.status !== 'QUEUED' && job.status !== 'RUNNING';

/**
 * A model testing job as Edge Impulse's Job model (GetJobResponse.job, ListJobsResponse.jobs[]; the same
 * fields as a training's, see presentJob in rest/edge-impulse/routes.ts): finished when every block's test has
 * ended, successful when all completed; `computeTime` in seconds. `category`/`categoryKey` are this
 * platform's names (Edge Impulse's own strings for these jobs are not documented in the bindings).
 */
function presentModelTestingJob(jobId: number, kind: ModelTestingKind, jobs: ModelJob[]) {
  const finished = jobs.every(terminal);
  const started = jobs.map((j) => j.startedAt).filter((d): d is Date => d !== null);
  const ends = jobs.map((j) => j.finishedAt ?? j.updatedAt);
  const firstStart = started.length ? Math.min(...started.map((d) => d.getTime())) : null;
  const lastEnd = Math.max(...ends.map((d) => d.getTime()));
  return {
    id: jobId,
    category: CATEGORY[kind],
    categoryKey: kind,
    key: `${kind}-${jobId}`,
    created: jobs[0]!.createdAt.toISOString(),
    started: firstStart !== null ? new Date(firstStart).toISOString() : undefined,
    finished: finished ? new Date(lastEnd).toISOString() : undefined,
    finishedSuccessful: finished ? jobs.every((j) => j.status === 'COMPLETED') : undefined,
    jobNotificationUids: [] as number[],
    computeTime: finished && firstStart !== null ? Math.round((lastEnd - firstStart) / 1000) : undefined,
  };
}

/** Edge Impulse's Job model of a model testing job (presentModelTestingJob). */
export type ModelTestingJob = ReturnType<typeof presentModelTestingJob>;

/** A model testing job as Edge Impulse's Job model (presentModelTestingJob). Viewer role; NOT_FOUND. */
export async function getModelTestingJob(
  db: Db,
  principal: Principal,
  projectId: number,
  jobId: number,
): Promise<ModelTestingJob> {
  const { kind, parts } = await jobParts(db, principal, projectId, jobId);
  return presentModelTestingJob(
    jobId,
    kind,
    parts.map((p) => p.job),
  );
}

/**
 * The model testing jobs started through Edge Impulse's routes in a project (viewer role), newest first, as
 * Edge Impulse's Job model: what the job lists (GET jobs, jobs/all, jobs/history) show next to trainings.
 * Reads the project's model tests (at most `take`, newest) and their datasets' records; a test still queued or
 * running is settled first (a stopped web process's test reads as failed, as its status does).
 */
export async function listModelTestingJobs(
  db: Db,
  principal: Principal,
  projectId: number,
  take = 10_000,
): Promise<ModelTestingJob[]> {
  await requireProject(db, principal, projectId, 'VIEWER');
  const tests = await db.modelJob.findMany({
    where: { projectId, kind: 'EVALUATE' },
    orderBy: { id: 'desc' },
    take,
  });
  const datasets = await db.resource.findMany({
    where: { id: { in: [...new Set(tests.map((t) => t.datasetResourceId))] } },
    select: { id: true, metadata: true },
  });
  const records = new Map(datasets.map((d) => [d.id, recordOf(d)]));
  const byId = new Map(tests.map((t) => [t.id, t]));
  const out: ModelTestingJob[] = [];
  for (const test of tests) {
    const record = records.get(test.datasetResourceId);
    if (record?.blocks[0]?.modelJobId !== test.id) continue;
    const jobs: ModelJob[] = [];
    for (const { modelJobId } of record.blocks) {
      const job = byId.get(modelJobId);
      // Settled through getModelJob (its stale check); a test that is gone ends the list of parts.
      if (!job) continue;
      jobs.push(terminal(job) ? job : await getModelJob(db, principal, projectId, job.id));
    }
    out.push(presentModelTestingJob(MODEL_TESTING_JOB_ID_BASE + test.id, record.kind, jobs));
  }
  return out;
}

/** One stdout line (LogStdoutResponse.stdout[]). */
export interface StdoutLine {
  created: string;
  data: string;
  logLevel: 'error' | 'warn' | 'info';
}

/**
 * The log of a job's model tests, oldest first: per block when its test was queued, started, its progress
 * while running, and its accuracy or error. Derived from the tests' rows (one place for the stdout route and
 * the socket feed).
 */
function partLines(parts: Part[]): StdoutLine[] {
  const lines: StdoutLine[] = [];
  const line = (at: Date, data: string, logLevel: StdoutLine['logLevel'] = 'info') =>
    lines.push({ created: at.toISOString(), data: `${data}\n`, logLevel });
  for (const { job, learnBlockId, windows } of parts) {
    const what = learnBlockId !== null ? `learn block ${learnBlockId}` : `model ${job.modelResourceId}`;
    line(
      job.createdAt,
      `Model testing of ${what} queued${windows !== null ? ` (${windows} windows of the testing samples)` : ''}`,
    );
    if (job.startedAt) line(job.startedAt, `Model testing of ${what} started`);
    if (job.status === 'RUNNING')
      line(job.updatedAt, `Model testing of ${what}: ${Math.round(job.progress * 100)}% of the windows`);
    const report = job.result as { accuracy?: number; samples?: number } | null;
    if (job.status === 'COMPLETED')
      line(
        job.finishedAt ?? job.updatedAt,
        `Model testing of ${what} finished: accuracy ${report?.accuracy?.toFixed(4) ?? 'n/a'} over ` +
          `${report?.samples ?? job.rowsDone} windows`,
      );
    if (job.status === 'FAILED' || job.status === 'CANCELLED')
      line(
        job.finishedAt ?? job.updatedAt,
        `Model testing of ${what} failed: ${job.error ?? job.status.toLowerCase()}`,
        'error',
      );
  }
  return lines.sort((a, b) => a.created.localeCompare(b.created));
}

/**
 * A model testing job's log as Edge Impulse's stdout lines, oldest first (partLines). The last `limit` lines
 * (after skipping `offset` from the end); `logLevel` keeps that level and worse (error < warn < info <
 * debug). Viewer role.
 */
export async function modelTestingJobLines(
  db: Db,
  principal: Principal,
  projectId: number,
  jobId: number,
  query: { limit: number; offset: number; logLevel?: 'error' | 'warn' | 'info' | 'debug' },
): Promise<{ stdout: StdoutLine[]; totalCount: number }> {
  const { parts } = await jobParts(db, principal, projectId, jobId);
  const lines = partLines(parts);
  const order = ['error', 'warn', 'info', 'debug'];
  const kept = query.logLevel
    ? lines.filter((l) => order.indexOf(l.logLevel) <= order.indexOf(query.logLevel!))
    : lines;
  const end = Math.max(0, kept.length - query.offset);
  return { stdout: kept.slice(Math.max(0, end - query.limit), end), totalCount: kept.length };
}

/** What the socket feed sends of one model testing job: its Job model and its log lines. */
export interface ModelTestingFeedItem {
  projectId: number;
  job: ModelTestingJob;
  lines: StdoutLine[];
}

/** The feed items of the jobs whose heads are `heads` (model tests with their record), read without a caller. */
async function feedItems(db: Db, heads: { head: ModelJob; record: JobRecord }[]) {
  const ids = [...new Set(heads.flatMap(({ record }) => record.blocks.map((b) => b.modelJobId)))];
  const tests = new Map(
    (await db.modelJob.findMany({ where: { id: { in: ids } } })).map((t) => [t.id, t] as const),
  );
  const items: ModelTestingFeedItem[] = [];
  for (const { head, record } of heads) {
    const parts: Part[] = record.blocks
      .filter((b) => tests.has(b.modelJobId) && tests.get(b.modelJobId)!.projectId === head.projectId)
      .map((b) => ({ job: tests.get(b.modelJobId)!, learnBlockId: b.learnBlockId, windows: b.windows }));
    const jobId = MODEL_TESTING_JOB_ID_BASE + head.id;
    items.push({
      projectId: head.projectId,
      job: presentModelTestingJob(
        jobId,
        record.kind,
        parts.map((p) => p.job),
      ),
      lines: partLines(parts),
    });
  }
  return items;
}

/**
 * For the socket feed (rest/edge-impulse/socket.ts, which checked the socket's token for the project): the
 * Edge Impulse model testing jobs of `projectIds` one of whose model tests changed at or after `since`, with
 * their lines. At most `take` changed tests are read (the newest).
 */
export async function changedModelTestingJobs(
  db: Db,
  projectIds: number[],
  since: Date,
  take = 1000,
): Promise<ModelTestingFeedItem[]> {
  const changed = await db.modelJob.findMany({
    where: { projectId: { in: projectIds }, kind: 'EVALUATE', updatedAt: { gte: since } },
    orderBy: { id: 'desc' },
    take,
  });
  if (changed.length === 0) return [];
  const datasets = await db.resource.findMany({
    where: { id: { in: [...new Set(changed.map((t) => t.datasetResourceId))] } },
    select: { id: true, metadata: true },
  });
  const records = new Map(datasets.map((d) => [d.id, recordOf(d)]));
  const headIds = new Map<number, JobRecord>();
  for (const test of changed) {
    const record = records.get(test.datasetResourceId);
    const headId = record?.blocks[0]?.modelJobId;
    if (record && headId !== undefined && record.blocks.some((b) => b.modelJobId === test.id))
      headIds.set(headId, record);
  }
  const heads = await db.modelJob.findMany({
    where: { id: { in: [...headIds.keys()] }, projectId: { in: projectIds } },
  });
  return feedItems(
    db,
    heads.map((head) => ({ head, record: headIds.get(head.id)! })),
  );
}

/**
 * For the socket feed's `start-log-stream`: one Edge Impulse model testing job of `projectId` (the socket's,
 * token checked) with its lines, or null when `jobId` is none.
 */
export async function modelTestingFeedItem(
  db: Db,
  projectId: number,
  jobId: number,
): Promise<ModelTestingFeedItem | null> {
  if (!isModelTestingJobId(jobId) || jobId - MODEL_TESTING_JOB_ID_BASE > INT32_MAX) return null;
  const head = await db.modelJob.findFirst({
    where: { id: jobId - MODEL_TESTING_JOB_ID_BASE, projectId, kind: 'EVALUATE' },
  });
  if (!head) return null;
  const record = recordOf(await db.resource.findUnique({ where: { id: head.datasetResourceId } }));
  if (record?.blocks[0]?.modelJobId !== head.id) return null;
  return (await feedItems(db, [{ head, record }]))[0] ?? null;
}
