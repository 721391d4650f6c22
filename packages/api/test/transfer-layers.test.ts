import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { unzipSync } from 'fflate';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { artifactsFromFiles, loadTrainedModel } from '@trainhub/ml';
import { createRestHandler } from '../src/rest/http';
import { edgeImpulseStyle } from '../src/rest/edge-impulse/routes';
import { mlwStyle } from '../src/rest/mlw/routes';
import { createCaller } from '../src/trpc';
import { trainingModuleStyle } from '../src/rest/training-module/routes';
import { uploadResource } from '../src/services/resources';
import { claimNext } from '../../../apps/trainer/src/queue';
import { runExecution } from '../../../apps/trainer/src/runner';
import { makeWorld, multipart, type World } from './helpers';

// Issue 15 (4): a transfer layer that passes an API style's check must load in the trainer. A tiny base model
// (4 inputs -> 6 relu units, written with tfjs into a temporary model store) is trained under a head through
// the Edge Impulse skin (visual layer transfer_mobilenetv2_a35), through the session style's import_model and
// through an MLW (and tRPC) architecture file with a `transfer` layer, each run by the trainer's own runner on
// the cpu backend with no store of its own (the folder recorded at the request is the only way to the base).
// The trained model must hold the base's kernel unchanged (loaded from the store, frozen).

/** 40 rows of 4 features, two classes apart on every feature (deterministic). */
const CSV = [
  'f1,f2,f3,f4,label',
  ...Array.from({ length: 40 }, (_, i) => {
    const cls = i % 2;
    const v = (k: number) => (cls * 2 + ((i * 7 + k * 3) % 10) / 20).toFixed(3);
    return `${v(1)},${v(2)},${v(3)},${v(4)},${cls ? 'b' : 'a'}`;
  }),
].join('\n');

/** Writes a tfjs layers model as `<store>/<name>/model.json` + weights.bin (the store's layout). */
async function saveBase(model: tf.LayersModel, store: string, name: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      await mkdir(path.join(store, name), { recursive: true });
      const json = {
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
      };
      await writeFile(path.join(store, name, 'model.json'), JSON.stringify(json));
      await writeFile(path.join(store, name, 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

describe.each(testProviders)('transfer layers through the API styles on %s', (provider) => {
  let w: World;
  let store: string;
  let baseKernel: number[];

  beforeAll(async () => {
    await tf.setBackend('cpu');
    w = await makeWorld(provider, 1024 * 1024);
    store = await mkdtemp(path.join(tmpdir(), 'transfer-store-'));
    w.deps.pretrainedModelsDir = store;
    const base = tf.sequential({
      layers: [
        tf.layers.dense({
          inputShape: [4],
          units: 6,
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
        }),
      ],
    });
    baseKernel = Array.from(base.getWeights()[0]!.dataSync());
    // The names operators were told: the Edge Impulse layer type, and any name for import_model.
    await saveBase(base, store, 'transfer_mobilenetv2_a35');
    await saveBase(base, store, 'tiny-base');
    base.dispose();
  });
  afterAll(async () => {
    await w?.drop();
    if (store) await rm(store, { recursive: true, force: true });
  });

  /** Runs queued execution `id` with the trainer's runner; returns its row and the trained model. */
  async function train(id: number) {
    const ctx = {
      db: w.t.db,
      store: w.deps.store,
      log: pino({ level: 'silent' }),
      trainerId: `transfer-${provider}`,
      leaseMs: 60_000,
      pollMs: 200,
      maxAttempts: 1,
      backend: 'cpu' as const,
      shuttingDown: () => false,
    };
    const claimed = await claimNext(w.t.db, ctx);
    expect(claimed?.id).toBe(id);
    await runExecution(ctx, claimed!);
    const execution = await w.t.db.execution.findUniqueOrThrow({ where: { id } });
    expect({ status: execution.status, error: execution.error }).toEqual({
      status: 'COMPLETED',
      error: null,
    });
    const resource = await w.t.db.resource.findUniqueOrThrow({ where: { id: execution.modelResourceId! } });
    const zip = unzipSync(new Uint8Array(await w.deps.store.get(resource.storageKey)));
    return loadTrainedModel(artifactsFromFiles(zip));
  }

  /** The trained model holds the base's kernel as saved: the base came from the store, frozen. */
  function expectFrozenBase(model: Awaited<ReturnType<typeof train>>) {
    const kernel = model.model.getWeights().find((t) => t.shape.join() === '4,6');
    expect(kernel, 'the base layer is in the trained model').toBeDefined();
    expect(Array.from(kernel!.dataSync())).toEqual(baseKernel);
    model.dispose();
  }

  it('Edge Impulse: a transfer_* visual layer from the store trains under a head', async () => {
    const handle = createRestHandler(edgeImpulseStyle, () => w.deps);
    const call = async (method: string, p: string, body?: unknown) => {
      const response = await handle(
        new Request(`http://localhost/v1${p}`, {
          method,
          body: body === undefined ? undefined : JSON.stringify(body),
          headers: { 'content-type': 'application/json', 'x-api-key': w.a.keys.EDITOR },
        }),
      );
      return { status: response.status, body: await response.json() };
    };
    const pid = w.a.projectId;
    await uploadResource(w.deps, editorOf(w), pid, {
      name: 'data.csv',
      contentType: null,
      body: Buffer.from(CSV),
    });
    const impulse = await call('POST', `/api/${pid}/impulse`, {
      inputBlocks: [],
      dspBlocks: [],
      learnBlocks: [{ id: 3, type: 'keras', name: 'NN Classifier', title: 'Classification', dsp: [2] }],
    });
    expect(impulse.status).toBe(200);
    const job = await call('POST', `/api/${pid}/jobs/train/keras/3`, {
      mode: 'visual',
      visualLayers: [{ type: 'transfer_mobilenetv2_a35', neurons: 8 }],
      trainingCycles: 3,
      learningRate: 0.01,
      batchSize: 8,
      trainTestSplit: 0.25,
    });
    expect(job).toEqual({ status: 200, body: { success: true, id: expect.any(Number) } });
    expectFrozenBase(await train(job.body.id));

    // A base the store lacks is refused before anything is written, naming the file it looked for.
    const missing = await call('POST', `/api/${pid}/jobs/train/keras/3`, {
      visualLayers: [{ type: 'transfer_mobilenetv2_a1' }],
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toContain(path.join(store, 'transfer_mobilenetv2_a1', 'model.json'));
    // A layer that no store makes trainable (FOMO) is refused as such, even with a folder of its name.
    await mkdir(path.join(store, 'fomo_mobilenet_v2_a35'));
    await writeFile(path.join(store, 'fomo_mobilenet_v2_a35', 'model.json'), '{}');
    const fomo = await call('POST', `/api/${pid}/jobs/train/keras/3`, {
      visualLayers: [{ type: 'fomo_mobilenet_v2_a35' }],
    });
    expect(fomo.status).toBe(400);
    expect(fomo.body.error).toMatch(/^the layer fomo_mobilenet_v2_a35 cannot be trained here/);
  });

  it('session style: import_model, then the training puts the imported base under the named layers', async () => {
    const handle = createRestHandler(trainingModuleStyle, () => w.deps);
    const call = async (method: string, p: string, init: { body?: BodyInit; json?: unknown } = {}) => {
      const response = await handle(
        new Request(`http://localhost/training-module${p}`, {
          method,
          body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
          headers: {
            'x-api-key': w.a.keys.EDITOR,
            ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}),
          },
        }),
      );
      return { status: response.status, body: await response.json() };
    };
    const start = await call('GET', '/start_session?force_restart=1');
    const key = start.body.key as string;
    await call('POST', `/parameters/${key}`, {
      json: { model: 'mlp-small', epochs: 3, batch_size: 8, learning_rate: 0.01, seed: 5 },
    });
    const upload = await call('POST', `/upload_dataset/${key}`, {
      body: multipart({
        train_file: { name: 'train.csv', content: CSV },
        test_file: { name: 'test.csv', content: CSV },
      }),
    });
    expect(upload.status).toBe(200);
    expect((await call('POST', `/preprocess/${key}`)).status).toBe(200);
    // Names that are not in the store, or not names at all, are 404s that name no other folder.
    for (const name of ['absent', '..']) {
      const refused = await call('POST', `/import_model/${key}?model_type=tfjs&model_name=${name}`);
      expect(refused.status, name).toBe(404);
      expect(refused.body.detail, name).toMatch(/is not in the local model store/);
    }
    const imported = await call('POST', `/import_model/${key}?model_type=tfjs&model_name=tiny-base`);
    expect(imported.status).toBe(200);
    const started = await call('POST', `/training/start/${key}`);
    expect(started.status).toBe(200);
    expectFrozenBase(await train(started.body.job_id));
  });

  it('MLW trainNN: an architecture with a transfer layer is checked against the store and records it', async () => {
    const handle = createRestHandler(mlwStyle, () => w.deps);
    const call = async (method: string, p: string, body: BodyInit, headers: Record<string, string> = {}) => {
      const response = await handle(
        new Request(`http://localhost/service/mlw${p}`, {
          method,
          body,
          headers: { authorization: `Bearer ${w.a.keys.EDITOR}`, ...headers },
        }),
      );
      return { status: response.status, body: await response.json() };
    };
    const project = `${w.a.projectId}_Project`;
    const upload = async (name: string, content: string) => {
      const { body } = await call(
        'POST',
        `/projects/${project}/resources`,
        multipart({ file: { name, content } }),
      );
      const all = Object.values(body.resources as Record<string, { id: string; name: string }[]>).flat();
      return all.filter((r) => r.name === name).sort((x, y) => parseInt(y.id) - parseInt(x.id))[0]!.id;
    };
    const architectureOf = (model: string) =>
      JSON.stringify({
        format: 'trainhub.architecture',
        version: 1,
        layers: [
          { type: 'transfer', model },
          { type: 'dense', units: 8, activation: 'relu' },
        ],
      });
    const dataID = await upload('transfer.csv', CSV);
    const trainNN = (archId: string) =>
      call(
        'POST',
        `/projects/${project}/resources/${archId}/trainNN`,
        JSON.stringify({
          dataID,
          batchSize: 8,
          epoch: 3,
          learningRate: 0.01,
          loss: 'categorical_crossentropy',
          metrics: ['accuracy'],
          optimizer: 'adam',
          testSize: 0.25,
          recurrence: 'ONE_TIME',
          cronExpression: '',
          modelName: 'transfer-mlw',
          problemType: 'classification',
        }),
        { 'content-type': 'text/plain' },
      );
    const tasks = () => w.t.db.task.count({ where: { projectId: w.a.projectId } });

    // A base the store lacks: MLW's 400 naming the layer and the file looked for; nothing is written.
    const absent = await upload('absent.architecture', architectureOf('absent-base'));
    const before = await tasks();
    const missing = await trainNN(absent);
    const file = path.join(store, 'absent-base', 'model.json');
    const text = `Layer 1 (transfer absent-base) needs pretrained weights, which cannot be downloaded here: ${file} is missing`;
    expect(missing).toEqual({ status: 400, body: { message: text, errorCode: 400, exception: text } });
    // A name that could leave the store is refused as a name, not looked up.
    const outside = await trainNN(await upload('outside.architecture', architectureOf('../tiny-base')));
    expect(outside.status).toBe(400);
    expect(outside.body.message).toMatch(/^Layer 1 \(transfer \.\.\/tiny-base\) names the base model/);
    // Without a configured store, the refusal says what to set.
    const present = await upload('tiny.architecture', architectureOf('tiny-base'));
    w.deps.pretrainedModelsDir = null;
    try {
      const unset = await trainNN(present);
      expect(unset.status).toBe(400);
      expect(unset.body.message).toContain(
        'set PRETRAINED_MODELS_DIR to a folder holding tiny-base/model.json',
      );
    } finally {
      w.deps.pretrainedModelsDir = store;
    }
    expect(await tasks()).toBe(before);

    // A base in the store: the task records the store, and the trainer (no store of its own) trains it.
    const started = await trainNN(present);
    expect(started.status).toBe(200);
    const task = await w.t.db.task.findUniqueOrThrow({ where: { id: Number(started.body.id) } });
    expect(task.definition).toMatchObject({ version: 2, modelStore: store });
    expectFrozenBase(await train(Number(started.body.individualTasks[0].id)));

    // tasks.train with the same architecture file takes the same path (and the same refusal).
    const caller = createCaller({ deps: w.deps, principal: editorOf(w) });
    const input = {
      projectId: w.a.projectId,
      datasetResourceId: parseInt(dataID),
      problemType: 'classification' as const,
      modelName: 'transfer-trpc',
      hyperparameters: { epochs: 1, batchSize: 8 },
    };
    await expect(
      caller.tasks.train({ ...input, architectureResourceId: parseInt(absent) }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: text,
    });
    const viaTrpc = await caller.tasks.train({ ...input, architectureResourceId: parseInt(present) });
    expect(viaTrpc.task.definition).toMatchObject({ version: 2, modelStore: store });
  });
});

function editorOf(w: World) {
  return {
    kind: 'apiKey' as const,
    keyId: 0,
    teamId: w.a.id,
    projectId: null,
    role: 'EDITOR' as const,
    userId: null,
  };
}
