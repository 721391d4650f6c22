import { createHmac, randomBytes } from 'node:crypto';
import type { Db, Execution, Prisma, SessionState, TrainingSession } from '@trainhub/db';
import { readLatestExecutionBySessionKeyHash, readSessionByKeyHash } from '@trainhub/db';
import { hashToken } from '../auth/secrets';
import type { Principal } from '../auth/principal';
import { defaultTeamFor, requireProject } from './access';
import { previewCsv } from './csv-preview';
import { DomainError } from './errors';
import { historyOf, isTerminal, requestStop, toHistory } from './executions';
import { uploadResources, type IncomingFile, type StoreDeps } from './resources';
import { createTraining } from './tasks';
import { checkTrainingData } from './training-validation';

// The session style's state machine (setup -> preprocessing -> training -> done), persisted in
// TrainingSession so a restart of the web process loses nothing. The session key is a bearer credential:
// only its hash is stored; calls that carry it act with the editor role on the session's project.

export const SESSION_KEY_PREFIX = 'tm';
export const SESSION_PROJECT_NAME = 'Training module';

export interface SessionConfig {
  model?: string;
  task_type?: string;
  batch_size?: number;
  epochs?: number;
  eval_metrics?: string[];
  epochs_per_test_run?: number;
  learning_rate?: number;
  seed?: number;
  init_eval?: boolean;
  cache_dir?: string;
  overwrite_cache?: boolean;
}

export const DEFAULT_SESSION_CONFIG: Required<
  Pick<SessionConfig, 'model' | 'task_type' | 'batch_size' | 'epochs' | 'learning_rate' | 'eval_metrics'>
> = {
  model: 'mlp',
  task_type: 'classification',
  batch_size: 32,
  epochs: 10,
  learning_rate: 0.001,
  eval_metrics: ['accuracy'],
};

export interface SessionStatus {
  /** Derives the session key with the server secret (sessionKeyOf): the key itself is never stored. */
  keyNonce?: string;
  trainResourceId?: number;
  testResourceId?: number;
  trainFile?: string;
  testFile?: string;
  preprocess?: { status: 'done' | 'failed'; rows?: number; columns?: string[]; error?: string };
  /** import_model's base model: its name and folder in the model store (older rows lack the folder). */
  imported?: { model_type: string; model_name: string; folder?: string };
}

export type SessionWithExecution = TrainingSession & { execution: Execution | null };

/** Acting as the session: editor on its project. */
export function sessionPrincipal(session: TrainingSession): Principal {
  return {
    kind: 'apiKey',
    keyId: 0,
    teamId: session.teamId,
    projectId: session.projectId,
    role: 'EDITOR',
    userId: session.createdById,
  };
}

async function latestExecution(db: Db, session: TrainingSession) {
  return session.taskId
    ? db.execution.findFirst({ where: { taskId: session.taskId }, orderBy: { id: 'desc' } })
    : null;
}

/**
 * The session with its latest execution; a training session whose run has finished moves to DONE (a
 * conditional update: safe under races).
 */
async function withLatestExecution(
  db: Db,
  session: TrainingSession,
  execution: Execution | null | undefined,
): Promise<SessionWithExecution> {
  if (session.state === 'TRAINING' && execution && isTerminal(execution.status)) {
    await db.trainingSession.updateMany({
      where: { id: session.id, state: 'TRAINING' },
      data: { state: 'DONE' },
    });
    return { ...session, state: 'DONE', execution };
  }
  return { ...session, execution: execution ?? null };
}

/** The hash of a well-formed session key; anything else is UNAUTHENTICATED (as an unknown key is). */
function keyHashOf(key: string): string {
  if (!key || key.length >= 200) throw new DomainError('UNAUTHENTICATED', 'invalid or expired session key');
  return hashToken(key);
}

function requireActive(session: TrainingSession | null): TrainingSession {
  if (!session?.active) throw new DomainError('UNAUTHENTICATED', 'invalid or expired session key');
  return session;
}

/**
 * A session key: `tm_` + 43 base64url characters, the HMAC-SHA256 of a per-session nonce under the server
 * secret. Only its hash (the credential check) and the nonce are stored, so `GET /parameters` can give the
 * key back to its team without the database holding it.
 */
function deriveSessionKey(secret: string, nonce: string): string {
  return `${SESSION_KEY_PREFIX}_${createHmac('sha256', secret).update(`training-module-session:${nonce}`).digest('base64url')}`;
}

/** The key of a session (null when the server secret changed since it was started). */
export function sessionKeyOf(session: TrainingSession, secret: string): string | null {
  const nonce = ((session.status ?? {}) as SessionStatus).keyNonce;
  if (!nonce) return null;
  const key = deriveSessionKey(secret, nonce);
  return hashToken(key) === session.keyHash ? key : null;
}

/** Ends a session: its key stops working; a run it started that has not finished is cancelled. */
async function wipeSessions(db: Db, sessions: TrainingSession[]) {
  for (const old of sessions) {
    await db.trainingSession.updateMany({ where: { id: old.id }, data: { active: false } });
  }
  for (const old of sessions) {
    const execution = await latestExecution(db, old);
    if (execution && !isTerminal(execution.status))
      await requestStop(db, sessionPrincipal(old), execution.id, 'CANCEL');
  }
}

/**
 * Starts a session for the caller's team (an API key's project, else the team's "Training module" project).
 * An active session is CONFLICT unless `forceRestart`, which wipes it. `keySecret` derives the key.
 */
export async function startSession(
  db: Db,
  principal: Principal,
  options: { forceRestart: boolean; keySecret: string },
) {
  let teamId: number;
  let projectId: number;
  if (principal.kind === 'apiKey' && principal.projectId !== null) {
    const project = await requireProject(db, principal, principal.projectId, 'EDITOR');
    teamId = project.teamId;
    projectId = project.id;
  } else {
    teamId = defaultTeamFor(principal, 'EDITOR');
    const project =
      (await db.project.findFirst({
        where: { teamId, name: SESSION_PROJECT_NAME, deletedAt: null },
        orderBy: { id: 'asc' },
      })) ?? (await db.project.create({ data: { teamId, name: SESSION_PROJECT_NAME } }));
    projectId = project.id;
  }
  const active = await db.trainingSession.findMany({ where: { teamId, projectId, active: true } });
  if (active.length > 0 && !options.forceRestart) {
    throw new DomainError('CONFLICT', 'there is already an active session: pass force_restart=1 to wipe it');
  }
  const keyNonce = randomBytes(24).toString('base64url');
  const token = deriveSessionKey(options.keySecret, keyNonce);
  await wipeSessions(db, active);
  const session = await db.trainingSession.create({
    data: {
      keyHash: hashToken(token),
      teamId,
      projectId,
      config: DEFAULT_SESSION_CONFIG as Prisma.InputJsonValue,
      status: { keyNonce } satisfies SessionStatus as Prisma.InputJsonValue,
      createdById: principal.userId,
    },
  });
  return { session: { ...session, execution: null }, key: token };
}

/**
 * The active session a key opens, with its newest run and that run's last epoch; an unknown, wiped or
 * malformed key is UNAUTHENTICATED. Every keyed call reads this, monitoring polls it: two plain SQL reads by
 * the key's hash, at once (@trainhub/db status-reads).
 */
async function readByKey(db: Db, key: string) {
  const keyHash = keyHashOf(key);
  const [session, latest] = await Promise.all([
    readSessionByKeyHash(db, keyHash),
    readLatestExecutionBySessionKeyHash(db, keyHash),
  ]);
  return {
    session: await withLatestExecution(db, requireActive(session), latest?.execution),
    lastEpoch: latest?.lastEpoch ?? null,
  };
}

/** The active session a key opens (see readByKey). */
export async function sessionByKey(db: Db, key: string): Promise<SessionWithExecution> {
  return (await readByKey(db, key)).session;
}

/** The caller's team's active session (the style's key-less status calls). */
export async function activeSession(db: Db, principal: Principal): Promise<SessionWithExecution> {
  const where: Prisma.TrainingSessionWhereInput =
    principal.kind === 'apiKey'
      ? {
          teamId: principal.teamId,
          active: true,
          ...(principal.projectId !== null ? { projectId: principal.projectId } : {}),
        }
      : { teamId: { in: principal.memberships.map((m) => m.teamId) }, active: true };
  const session = await db.trainingSession.findFirst({ where, orderBy: { id: 'desc' } });
  if (!session) throw new DomainError('NOT_FOUND', 'there is no active session');
  return withLatestExecution(db, session, await latestExecution(db, session));
}

function requireState(session: TrainingSession, states: SessionState[], action: string) {
  if (!states.includes(session.state)) {
    throw new DomainError('CONFLICT', `cannot ${action} in the ${session.state.toLowerCase()} state`);
  }
}

export async function setSessionConfig(db: Db, key: string, config: SessionConfig) {
  const session = await sessionByKey(db, key);
  requireState(session, ['SETUP'], 'configure');
  const merged = {
    ...(session.config as SessionConfig),
    ...Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)),
  };
  const { count } = await db.trainingSession.updateMany({
    where: { id: session.id, state: 'SETUP' },
    data: { config: merged as Prisma.InputJsonValue },
  });
  if (count === 0) throw new DomainError('CONFLICT', 'the session left the setup state');
  return { ...session, config: merged as Prisma.JsonValue };
}

/**
 * Stores uploaded dataset files in the session's project as they stream in (the caller has checked the
 * session is in setup: see uploadableSession). Returns the resources in arrival order with their fields.
 */
export async function storeSessionFiles(
  deps: StoreDeps,
  session: TrainingSession,
  files: AsyncIterable<IncomingFile>,
): Promise<{ field: string; resource: { id: number; name: string; storageKey: string } }[]> {
  const fields: string[] = [];
  const resources = await uploadResources(deps, sessionPrincipal(session), session.projectId, {
    async *[Symbol.asyncIterator]() {
      for await (const file of files) {
        fields.push(file.field);
        yield { ...file, kind: 'DATASET' as const };
      }
    },
  });
  return resources.map((resource, i) => ({ field: fields[i]!, resource }));
}

/** Deletes stored files that will not be used (a failed or superseded upload). */
export async function discardSessionFiles(
  deps: StoreDeps,
  resources: { id: number; storageKey: string }[],
): Promise<void> {
  if (!resources.length) return;
  await deps.db.resource.deleteMany({ where: { id: { in: resources.map((r) => r.id) } } });
  await Promise.all(resources.map((r) => deps.store.delete(r.storageKey).catch(() => undefined)));
}

/** The session a key opens if it is in setup (where uploads are allowed), else the error it answers. */
export async function uploadableSession(
  db: Db,
  key: string,
): Promise<{ session: SessionWithExecution } | { error: unknown }> {
  try {
    const session = await sessionByKey(db, key);
    requireState(session, ['SETUP'], 'upload datasets');
    return { session };
  } catch (error) {
    return { error };
  }
}

/** Makes the stored train and test files the session's datasets (setup state only; resets preprocessing). */
export async function setSessionDatasets(
  db: Db,
  session: TrainingSession,
  train: { id: number; name: string },
  test: { id: number; name: string },
) {
  const { keyNonce } = (session.status ?? {}) as SessionStatus;
  const status: SessionStatus = {
    keyNonce,
    trainResourceId: train.id,
    testResourceId: test.id,
    trainFile: train.name,
    testFile: test.name,
  };
  const { count } = await db.trainingSession.updateMany({
    where: { id: session.id, state: 'SETUP' },
    data: { status: status as Prisma.InputJsonValue },
  });
  if (count === 0) throw new DomainError('CONFLICT', 'the session left the setup state');
  return { ...session, status: status as Prisma.JsonValue };
}

/** Checks the uploaded CSVs (header, rows, same columns) and moves to preprocessing. */
export async function preprocessSession(deps: StoreDeps, key: string) {
  const session = await sessionByKey(deps.db, key);
  requireState(session, ['SETUP'], 'preprocess');
  const status = (session.status ?? {}) as SessionStatus;
  if (!status.trainResourceId || !status.testResourceId)
    throw new DomainError('CONFLICT', 'upload the datasets first');
  const [train, test] = await Promise.all(
    [status.trainResourceId, status.testResourceId].map(async (id) => {
      const resource = await deps.db.resource.findUniqueOrThrow({ where: { id } });
      return (await deps.store.get(resource.storageKey)).toString('utf8');
    }),
  );
  const summary = (text: string) => {
    const preview = previewCsv(text, { maxRows: 0, complete: true });
    return { columns: preview?.header ?? [], rows: preview?.rowCount ?? 0 };
  };
  const a = summary(train!);
  const b = summary(test!);
  // A failure stays in the session (preprocess_status, status) until the next upload.
  const fail = async (reason: string) => {
    const failed: SessionStatus = { ...status, preprocess: { status: 'failed', error: reason } };
    await deps.db.trainingSession.updateMany({
      where: { id: session.id, state: 'SETUP' },
      data: { status: failed as Prisma.InputJsonValue },
    });
    return new DomainError('INVALID', reason);
  };
  if (a.rows === 0 || b.rows === 0 || a.columns.length < 2) {
    throw await fail('the datasets must be CSV files with a header and at least one row and two columns');
  }
  if (a.columns.join(',') !== b.columns.join(','))
    throw await fail('train_file and test_file have different columns');
  // The cells too (issue 16): what the run would fail on is refused here, every bad cell listed at once.
  const taskType = { ...DEFAULT_SESSION_CONFIG, ...(session.config as SessionConfig) }.task_type;
  try {
    await checkTrainingData(deps.db, deps.store, {
      projectId: session.projectId,
      problemType:
        taskType === 'regression' ? 'regression' : taskType === 'binary' ? 'binary' : 'classification',
      datasetResourceId: status.trainResourceId,
      testDatasetResourceId: status.testResourceId,
    });
  } catch (error) {
    if (error instanceof DomainError) throw await fail(error.message);
    throw error;
  }
  const next: SessionStatus = { ...status, preprocess: { status: 'done', rows: a.rows, columns: a.columns } };
  const { count } = await deps.db.trainingSession.updateMany({
    where: { id: session.id, state: 'SETUP' },
    data: { state: 'PREPROCESSING', status: next as Prisma.InputJsonValue },
  });
  if (count === 0) throw new DomainError('CONFLICT', 'the session left the setup state');
  return { ...session, state: 'PREPROCESSING' as const, status: next as Prisma.JsonValue };
}

/** Starts the training run (a Task + its first Execution) from the session's config and datasets. */
export async function startSessionTraining(db: Db, key: string) {
  const session = await sessionByKey(db, key);
  requireState(session, ['PREPROCESSING'], 'start training');
  const config = { ...DEFAULT_SESSION_CONFIG, ...(session.config as SessionConfig) };
  const status = (session.status ?? {}) as SessionStatus;
  const problemType =
    config.task_type === 'regression'
      ? 'regression'
      : config.task_type === 'binary'
        ? 'binary'
        : 'classification';
  const { task, execution } = await createTraining(db, sessionPrincipal(session), {
    projectId: session.projectId,
    name: `session ${session.id}: ${config.model}`,
    source: 'training-module',
    definition: {
      version: 1,
      problemType,
      // An imported base model goes under the named architecture's layers (transfer learning).
      spec: {
        format: 'training-module',
        model: config.model,
        ...(status.imported?.folder
          ? { pretrained: { [status.imported.model_name]: status.imported.folder } }
          : {}),
      },
      datasetResourceId: status.trainResourceId!,
      testDatasetResourceId: status.testResourceId!,
      modelName: config.model,
    },
    hyperparameters: {
      epochs: config.epochs,
      batchSize: config.batch_size,
      learningRate: config.learning_rate,
      // The default eval_metrics (accuracy) are for classification: a regression without its own gets the
      // training core's (mse, mae, r2) rather than a refusal of a metric the client never chose.
      ...(problemType !== 'regression' ||
      config.eval_metrics.join() !== DEFAULT_SESSION_CONFIG.eval_metrics.join()
        ? { metrics: config.eval_metrics }
        : {}),
      ...(config.seed !== undefined ? { seed: config.seed } : {}),
    },
  });
  const { count } = await db.trainingSession.updateMany({
    where: { id: session.id, state: 'PREPROCESSING' },
    data: { state: 'TRAINING', taskId: task.id },
  });
  if (count === 0) {
    await db.task.update({ where: { id: task.id }, data: { deletedAt: new Date() } });
    await db.execution.updateMany({
      where: { taskId: task.id, status: 'QUEUED' },
      data: { status: 'CANCELLED', finishedAt: new Date() },
    });
    throw new DomainError('CONFLICT', 'the session left the preprocessing state');
  }
  return { ...session, state: 'TRAINING' as const, taskId: task.id, execution };
}

/**
 * Stops the training: the trainer ends the run after the current epoch and keeps the model trained so far
 * (the session then reaches done with the model ready). With `forceRestart` the session is wiped instead,
 * in any state: its run is cancelled and its key stops working (`wiped: true`).
 */
export async function stopSessionTraining(db: Db, key: string, options: { forceRestart?: boolean } = {}) {
  const session = await sessionByKey(db, key);
  if (options.forceRestart) {
    await wipeSessions(db, [session]);
    const execution =
      session.execution && (await db.execution.findUnique({ where: { id: session.execution.id } }));
    return { ...session, active: false, execution: execution ?? null, wiped: true };
  }
  requireState(session, ['TRAINING'], 'stop training');
  const execution = await requestStop(db, sessionPrincipal(session), session.execution!.id, 'STOP');
  return { ...session, execution, wiped: false };
}

/**
 * Whether the session's model can be downloaded: the run finished (completed, or stopped: a stop keeps
 * what was trained) with a saved model.
 */
export function isModelReady(session: SessionWithExecution): boolean {
  const execution = session.execution;
  return (
    session.state === 'DONE' &&
    !!execution &&
    (execution.status === 'COMPLETED' || execution.status === 'STOPPED') &&
    execution.modelResourceId !== null
  );
}

/** Why the session failed (its preprocessing or its training run), or null. */
export function failureOf(session: SessionWithExecution): string | null {
  const status = (session.status ?? {}) as SessionStatus;
  if (status.preprocess?.status === 'failed') return status.preprocess.error ?? 'preprocessing failed';
  const execution = session.execution;
  if (execution?.status === 'FAILED') return execution.error ?? execution.message ?? 'the training failed';
  return null;
}

/** The last epoch of the session's run (monitoring polls this: see sessionByKey). */
export async function monitorSession(db: Db, key: string) {
  const { session, lastEpoch } = await readByKey(db, key);
  return { session, lastEpoch: toHistory(lastEpoch ? [lastEpoch] : [])[0] ?? null };
}

/** The finished (or stopped) run and its model, or CONFLICT while there is none. */
export async function sessionResult(db: Db, key: string) {
  const session = await sessionByKey(db, key);
  const execution = session.execution;
  if (!isModelReady(session) || !execution?.modelResourceId) {
    const failure = failureOf(session);
    throw new DomainError(
      'CONFLICT',
      failure ? `the model is not trained: the training failed: ${failure}` : 'the model is not trained yet',
    );
  }
  const model = await db.resource.findUniqueOrThrow({ where: { id: execution.modelResourceId } });
  const history = (await historyOf(db, [execution.id])).get(execution.id) ?? [];
  return { session, execution, model, history };
}
