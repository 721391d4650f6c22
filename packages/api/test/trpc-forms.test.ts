import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { createClient } from '../src/client';
import { TrainingRefusedError } from '../src/services/training-validation';
import { trainInput } from '../src/trpc/routers/inputs';
import { trainingRefusalPath } from '../src/trpc/trpc';
import { ARCHITECTURE, IRIS_CSV, inProcessFetch, makeWorld, type World } from './helpers';

// The procedures behind the web UI's forms: tasks.train's simple-layer, label-column, scaling and schedule
// inputs, and refusals that name their field (the form shows each message at its field).

describe.each(testProviders)('tRPC form procedures on %s', (provider) => {
  let w: World;
  let client: ReturnType<typeof createClient>;
  let dataId = 0;
  let archId = 0;

  beforeAll(async () => {
    w = await makeWorld(provider);
    client = createClient({
      url: 'http://localhost',
      apiKey: w.a.keys.EDITOR,
      fetch: inProcessFetch(w.deps),
    });
    const data = await client.trpc.resources.uploadText.mutate({
      projectId: w.a.projectId,
      name: 'iris.csv',
      content: IRIS_CSV,
    });
    const arch = await client.trpc.resources.uploadText.mutate({
      projectId: w.a.projectId,
      name: 'net.architecture',
      content: ARCHITECTURE,
    });
    dataId = data.id;
    archId = arch.id;
  });
  afterAll(async () => {
    await w?.drop();
  });

  const base = () => ({
    projectId: w.a.projectId,
    datasetResourceId: dataId,
    problemType: 'classification' as const,
    modelName: 'form-run',
    hyperparameters: { epochs: 3, batchSize: 2 },
  });

  it('trains a list of dense layers with a label column and scaling, once at a time', async () => {
    const startAt = new Date(Date.now() + 3_600_000);
    const { task, execution } = await client.trpc.tasks.train.mutate({
      ...base(),
      layers: [
        { type: 'dense', units: 12, activation: 'tanh' },
        { type: 'dense', units: 6, activation: 'relu' },
      ],
      labelColumn: 'species',
      scaling: 'minmax',
      startAt,
    });
    const definition = task.definition as Record<string, unknown>;
    expect(definition.spec).toMatchObject({
      format: 'trainhub.architecture',
      version: 1,
      layers: [
        { type: 'dense', units: 12, activation: 'tanh' },
        { type: 'dense', units: 6, activation: 'relu' },
      ],
    });
    expect(definition.labelColumns).toEqual(['species']);
    expect(definition.preprocessing).toEqual({ scaling: 'minmax' });
    expect(task.architectureResourceId).toBeNull();
    expect(task.source).toBe('trpc');
    expect(execution!.dueAt.getTime()).toBe(startAt.getTime());
  });

  it('copies an architecture file and schedules a cron training in a timezone', async () => {
    const { task, execution } = await client.trpc.tasks.train.mutate({
      ...base(),
      architectureResourceId: archId,
      cronExpression: '0 3 * * *',
      timezone: 'Europe/Berlin',
      labelColumn: 'species',
    });
    expect(execution).toBeNull();
    expect(task.cronExpression).toBe('0 3 * * *');
    expect(task.timezone).toBe('Europe/Berlin');
    expect(task.architectureResourceId).toBe(archId);
    expect((task.definition as { labelColumns?: string[] }).labelColumns).toEqual(['species']);
  });

  it('names the refused field: a bad cron expression, a hyperparameter, neither network nor both', async () => {
    const refusal = (input: unknown) =>
      client.trpc.tasks.train.mutate(input as never).then(
        () => {
          throw new Error('accepted');
        },
        (error: { data?: { code?: string; fieldErrors?: Record<string, string> | null } }) => error.data,
      );
    const cron = await refusal({ ...base(), architectureResourceId: archId, cronExpression: 'not a cron' });
    expect(cron?.code).toBe('BAD_REQUEST');
    expect(Object.keys(cron?.fieldErrors ?? {})).toEqual(['cronExpression']);
    expect(cron?.fieldErrors?.cronExpression).toMatch(/^invalid cron expression "not a cron"/);

    const epochs = await refusal({ ...base(), hyperparameters: { epochs: 0, batchSize: 2 }, layers: [] });
    expect(Object.keys(epochs?.fieldErrors ?? {}).sort()).toEqual(['hyperparameters.epochs', 'layers']);

    const both = await refusal({
      ...base(),
      architectureResourceId: archId,
      layers: [{ type: 'dense', units: 4 }],
    });
    expect(both?.fieldErrors).toEqual({
      architectureResourceId: 'choose an architecture file or list dense layers (one of the two)',
    });
    // A service's refusal that is not about one field has no field errors.
    const missing = await refusal({ ...base(), architectureResourceId: 999_999 });
    expect(missing).toMatchObject({ code: 'NOT_FOUND', fieldErrors: null });
  });

  it("the training check's refusals name their field of the train input (the form shows them there)", async () => {
    const refused = (input: unknown) =>
      client.trpc.tasks.train.mutate(input as never).then(
        () => {
          throw new Error('accepted');
        },
        (error: { message: string; data?: { code?: string; fieldErrors?: Record<string, string> | null } }) =>
          error,
      );
    const optimizer = await refused({
      ...base(),
      layers: [{ type: 'dense', units: 4 }],
      hyperparameters: { epochs: 1, batchSize: 2, optimizer: 'no-such-optimizer' },
    });
    expect(optimizer.data?.code).toBe('BAD_REQUEST');
    expect(optimizer.data?.fieldErrors).toEqual({ 'hyperparameters.optimizer': optimizer.message });
    expect(optimizer.message).toMatch(/no-such-optimizer/);

    const loss = await refused({
      ...base(),
      architectureResourceId: archId,
      hyperparameters: { epochs: 1, batchSize: 2, loss: 'no-such-loss' },
    });
    expect(loss.data?.fieldErrors).toEqual({ 'hyperparameters.loss': loss.message });
  });

  it("a network's refusal goes to the dense layers when the input lists them, else to the architecture", () => {
    const layer = new TrainingRefusedError('layer 2 does not fit', { field: 'layers[2]' });
    expect(trainingRefusalPath(layer, { layers: [] })).toBe('layers');
    expect(trainingRefusalPath(layer, { architectureResourceId: 3 })).toBe('architectureResourceId');
    expect(trainingRefusalPath(new TrainingRefusedError('no field'), {})).toBeNull();
    expect(trainingRefusalPath(new TrainingRefusedError('x', { field: 'test_file' }), {})).toBeNull();
  });

  it('the form and the procedure read the same schema: what the form refuses, the procedure refuses', () => {
    const parsed = trainInput.safeParse({ ...base(), layers: [{ type: 'dense', units: Number.NaN }] });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path.join('.'))).toEqual(['layers.0.units']);
  });

  it('project and API-key forms: a name of spaces is refused at its field', async () => {
    const project = await client.trpc.projects.create
      .mutate({ name: '  ' })
      .catch((e: { data?: { fieldErrors?: Record<string, string> } }) => e.data?.fieldErrors);
    expect(project).toEqual({ name: 'write a project name with at least one letter or digit' });
    const owner = createClient({
      url: 'http://localhost',
      apiKey: w.a.keys.OWNER,
      fetch: inProcessFetch(w.deps),
    });
    const key = await owner.trpc.apiKeys.create
      .mutate({ teamId: w.a.id, name: 'ci', role: 'OWNER' as never })
      .catch((e: { data?: { fieldErrors?: Record<string, string> } }) => e.data?.fieldErrors);
    expect(key).toEqual({ role: 'an API key is an admin, editor or viewer' });
  });
});
