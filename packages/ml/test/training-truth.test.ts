import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildModel,
  checkTraining,
  dataFacts,
  MlInputError,
  parseCsv,
  preprocess,
  summarizeData,
  train,
  type DataFacts,
  type EpochLog,
} from '../src/index.ts';
import { blobs } from './helpers.ts';

// Issue 16 (training tells the truth): the failing inputs of 2026-11-30, read as they are from shared/.
const repoRoot = path.resolve(__dirname, '../../..');
const cases = path.resolve(repoRoot, '../shared/cases/2026-11-30');
const file = (name: string) => readFileSync(path.join(cases, name));

async function failure(p: Promise<unknown> | (() => unknown)): Promise<MlInputError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (error) {
    expect(error).toBeInstanceOf(MlInputError);
    return error as MlInputError;
  }
  throw new Error('expected an MlInputError');
}

describe('divergence fails the run (finding 1)', () => {
  it('diverges-sgd.csv with sgd at lr 0.01: FAILED within the epoch, every epoch before it kept and finite', async () => {
    const data = await parseCsv(file('diverges-sgd.csv'), { labelKind: 'numeric' });
    const epochs: EpochLog[] = [];
    const logs: string[] = [];
    const error = await failure(
      train({
        spec: { input: { shape: [1] }, layers: [] },
        data,
        backend: 'cpu',
        problem: 'regression',
        preprocessing: { testSize: 0.2 },
        hyperparameters: { optimizer: 'sgd', learningRate: 0.01, epochs: 60, batchSize: 24, seed: 1 },
        callbacks: { onEpoch: (e) => void epochs.push(e), onLog: (l) => void logs.push(l) },
      }),
    );
    expect(error.code).toBe('DIVERGED');
    const epoch = Number(/diverged at epoch (\d+)/.exec(error.message)?.[1]);
    expect(error.message).toMatch(
      /^Training diverged at epoch \d+: (val_)?loss became (Infinity|NaN); lower the learning rate or scale the inputs$/,
    );
    expect(epoch).toBeGreaterThan(1);
    expect(epoch).toBeLessThan(60);
    // Every epoch that ran before the divergence is in the history, numbered 1..N-1, with finite numbers only.
    expect(epochs.map((e) => e.epoch)).toEqual(Array.from({ length: epoch - 1 }, (_, i) => i + 1));
    for (const e of epochs) {
      expect(Number.isFinite(e.loss)).toBe(true);
      for (const v of Object.values(e.metrics)) expect(Number.isFinite(v)).toBe(true);
    }
    expect(JSON.stringify(epochs)).not.toContain('null');
    expect(logs.some((l) => l.startsWith('Training diverged'))).toBe(true);
  });

  it('early stopping that asked for the best weights keeps the best model of a run that later diverges', async () => {
    const data = await parseCsv(file('diverges-sgd.csv'), { labelKind: 'numeric' });
    const result = await train({
      spec: { input: { shape: [1] }, layers: [] },
      data,
      backend: 'cpu',
      problem: 'regression',
      preprocessing: { testSize: 0.2 },
      hyperparameters: {
        optimizer: 'sgd',
        learningRate: 0.01,
        epochs: 60,
        batchSize: 24,
        seed: 1,
        validationSplit: 0.2,
        earlyStopping: { monitor: 'loss', patience: 100, restoreBestWeights: true },
      },
    });
    expect(result.status).toBe('completed');
    if (result.status === 'cancelled') throw new Error('unreachable');
    expect(result.epochsCompleted).toBeLessThan(60);
    expect(Number.isFinite(result.metrics.loss)).toBe(true);
    // No number is stored as null (JSON's spelling of NaN / Infinity).
    expect(JSON.stringify(result.artifacts.metadata.metrics)).not.toContain('null');
    expect(Object.values(result.metrics.regression!).every(Number.isFinite)).toBe(true);
  });
});

describe('data problems are reported all at once (findings 3, 4, 7)', () => {
  it('missing-values.csv: every missing cell with row, column and spelling', async () => {
    const error = await failure(parseCsv(file('missing-values.csv')));
    expect(error.code).toBe('MISSING_VALUES');
    const problems = error.details.problems as { row: number; column: string; found: string }[];
    expect(problems.map((p) => `${p.row}:${p.column}:${p.found}`)).toEqual([
      '3:humidity:missing value (empty)',
      '4:pressure:missing value (NaN)',
      '6:humidity:missing value (NA)',
      '9:temperature:missing value (empty)',
      '10:pressure:missing value (null)',
      '12:humidity:missing value (n/a)',
    ]);
    expect(error.message).toMatch(
      /^6 problems in the data: Row 3, column "humidity": missing value \(empty\);/,
    );
    expect(error.message).toContain('"drop"');
  });

  it('lists at most 20 bad cells and counts the rest', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `${i},x${i},${i % 2 ? 'a' : 'b'}`);
    const error = await failure(parseCsv(['p,q,label', ...rows].join('\n')));
    expect((error.details.problems as unknown[]).length).toBe(20);
    expect(error.details.more).toBe(10);
    expect(error.message).toMatch(
      /^30 problems in the data: Row 2, column "q": "x0" is not a number;.*; and 10 more$/,
    );
  });

  it('the missing-value policy: drop the rows, or fill with the mean / median of the training rows', async () => {
    const dropped = await parseCsv(file('missing-values.csv'), { missing: 'drop' });
    expect(dropped.numSamples).toBe(6);
    expect(dropped.warnings).toEqual(['6 rows with missing values left out (missing: "drop")']);
    const kept = await parseCsv(file('missing-values.csv'), { missing: 'mean' });
    expect(kept.numSamples).toBe(12);
    const prepared = preprocess(kept, { missing: 'mean', testSize: 0, shuffle: false }, { seed: 1 });
    expect(Array.from(prepared.features).every(Number.isFinite)).toBe(true);
    // Row 3 (index 1) had no humidity: the mean of the other training rows' humidity.
    const humidity = [40.1, 39.8, 40.6, 40.9, 71.5, 70.8, 72.3, 69.9, 70.4];
    expect(prepared.features[1 * 3 + 1]).toBeCloseTo(
      humidity.reduce((a, b) => a + b, 0) / humidity.length,
      4,
    );
    expect(prepared.warnings).toContain('Column "humidity": 3 missing cells filled with the mean 57.3667');
    const median = preprocess(
      await parseCsv(file('missing-values.csv'), { missing: 'median' }),
      {
        missing: 'median',
        testSize: 0,
        shuffle: false,
      },
      { seed: 1 },
    );
    expect(median.features[1 * 3 + 1]).toBeCloseTo(69.9, 4);
  });

  it('semicolon-decimal-comma.csv: the separator is detected and decimal commas are read', async () => {
    const d = await parseCsv(file('semicolon-decimal-comma.csv'));
    expect(d.featureNames).toEqual(['temperature', 'humidity']);
    expect(d.numSamples).toBe(12);
    expect(d.features[0]).toBeCloseTo(21.5, 5);
    expect(d.features[1]).toBeCloseTo(40.1, 5);
    expect(d.labels.kind === 'categorical' && d.labels.classNames).toEqual(['ok', 'humid']);
    // Told that the decimal point is '.', the commas are refused by name, all at once.
    const error = await failure(parseCsv(file('semicolon-decimal-comma.csv'), { decimal: '.' }));
    expect(error.message).toMatch(
      /^24 problems in the data: Row 2, column "temperature": "21,5" has a decimal comma;/,
    );
    expect(error.message).toContain('Decimal commas are read only in files separated by ";"');
    // A comma-separated file with quoted decimal commas: refused naming them.
    const quoted = await failure(parseCsv('a,b,label\n"1,5",2,x\n3,4,y\n'));
    expect(quoted.message).toMatch(/Row 2, column "a": "1,5" has a decimal comma/);
    // Tabs too.
    const tabs = await parseCsv('a\tb\tlabel\n1\t2\tx\n3\t4\ty\n');
    expect(tabs.featureNames).toEqual(['a', 'b']);
  });

  it('duplicate-headers.csv: the second "ax" is renamed with a warning, or refused', async () => {
    const d = await parseCsv(file('duplicate-headers.csv'));
    expect(d.featureNames).toEqual(['ax', 'ay', 'ax_2']);
    expect(d.warnings).toEqual([
      'Column "ax" appears 2 times in the header (columns 1, 3); renamed to "ax", "ax_2"',
    ]);
    expect(d.features[2]).toBe(5);
    const error = await failure(parseCsv(file('duplicate-headers.csv'), { duplicateColumns: 'fail' }));
    expect(error.code).toBe('DUPLICATE_COLUMN');
    expect(error.message).toBe('Column "ax" appears 2 times in the header (columns 1, 3)');
  });

  it('header-only.csv and empty.csv are refused as empty', async () => {
    expect((await failure(parseCsv(file('header-only.csv')))).message).toBe(
      'The CSV file has a header but no data rows',
    );
    expect((await failure(parseCsv(file('empty.csv')))).code).toBe('EMPTY_DATA');
    expect((await failure(summarizeData(file('header-only.csv'), { name: 'header-only.csv' }))).message).toBe(
      'The CSV file has a header but no data rows',
    );
    expect((await failure(summarizeData(file('empty.csv'), { name: 'empty.csv' }))).message).toBe(
      'The file is empty (0 bytes)',
    );
  });
});

describe('the data summary (upload) and the facts a training sees', () => {
  it('summarizes rows, column types, missing cells and classes with counts', async () => {
    const s = await summarizeData(file('missing-values.csv'), { name: 'missing-values.csv' });
    expect(s.rows).toBe(12);
    expect(s.missingCells).toBe(6);
    expect(s.columns.map((c) => [c.name, c.type, c.missing])).toEqual([
      ['temperature', 'number', 1],
      ['humidity', 'number', 3],
      ['pressure', 'number', 2],
      ['label', 'text', 0],
    ]);
    expect(s.columns[3]!.classes).toEqual([
      { name: 'ok', count: 6 },
      { name: 'storm', count: 6 },
    ]);
    // The facts refuse the same cells parseCsv does, listed the same way.
    const error = await failure(() => dataFacts(s, {}));
    expect(error.message).toBe((await failure(parseCsv(file('missing-values.csv')))).message);
    expect(dataFacts(s, { missing: 'drop' }).featureNames).toEqual(['temperature', 'humidity', 'pressure']);
    const semi = await summarizeData(file('semicolon-decimal-comma.csv'), { name: 'x.csv' });
    expect([semi.delimiter, semi.decimalComma, semi.columns.map((c) => c.type)]).toEqual([
      ';',
      true,
      ['number', 'number', 'text'],
    ]);
  });

  it('names the target column through the options; a missing one is refused naming it', async () => {
    const s = await summarizeData(file('integer-labels.csv'), { name: 'integer-labels.csv' });
    const f = dataFacts(s, { labelColumns: ['f1'], labelKind: 'numeric' });
    expect(f.featureNames).toEqual(['f2', 'label']);
    const error = await failure(() => dataFacts(s, { labelColumns: ['species'] }));
    expect(error.message).toMatch(/^Column "species" is not in the CSV header \("f1", "f2", "label"\)$/);
    const d = await parseCsv(file('integer-labels.csv'), { labelColumns: ['f1'], labelKind: 'numeric' });
    expect(d.featureNames).toEqual(['f2', 'label']);
  });
});

describe('a final layer that already is the head (finding 6)', () => {
  const architecture = JSON.parse(file('architecture-with-output-layer.architecture').toString('utf8'));

  it('integer-labels.csv + a spec ending in 3 softmax units: that layer is the head, no second head', async () => {
    const data = await parseCsv(file('integer-labels.csv'));
    const { model } = await buildModel(architecture, { problem: 'classification', numClasses: 3, seed: 1 });
    const dense = model.layers.filter((l) => l.getClassName() === 'Dense');
    expect(dense.map((l) => (l.getConfig() as { units: number }).units)).toEqual([8, 3]);
    expect((dense[1]!.getConfig() as { activation: string }).activation).toBe('softmax');
    expect(model.outputs[0]!.shape).toEqual([null, 3]);
    model.dispose();
    const result = await train({
      spec: architecture,
      data,
      backend: 'cpu',
      hyperparameters: { epochs: 3, batchSize: 6, seed: 3 },
      preprocessing: { testSize: 0.34 },
    });
    if (result.status === 'cancelled') throw new Error('unreachable');
    expect(result.artifacts.metadata.classNames).toEqual(['0', '1', '2']);
    const topology = JSON.parse(result.artifacts.modelJson).modelTopology.config.layers as unknown[];
    expect(topology.filter((l) => (l as { class_name: string }).class_name === 'Dense')).toHaveLength(2);
  });

  it('a final layer that contradicts the data is refused naming the layer', async () => {
    const error = await failure(
      buildModel(architecture, { problem: 'classification', numClasses: 2, seed: 1 }),
    );
    expect(error.code).toBe('SHAPE_MISMATCH');
    expect(error.message).toBe(
      'Layer 2 (dense, 3 softmax units) is an output layer that contradicts the data: the data has 2 classes, so the output layer needs 2 softmax units',
    );
    const regression = await failure(
      buildModel(architecture, { problem: 'regression', numTargets: 1, seed: 1 }),
    );
    expect(regression.message).toMatch(/^Layer 2 \(dense, 3 softmax units\) is an output layer/);
  });
});

describe('checkTraining: the up-front check of a request (finding 2)', () => {
  const facts = (classes: string[], width = 4): DataFacts => ({
    featureNames: Array.from({ length: width }, (_, i) => `f${i}`),
    sampleShape: [width],
    labels: { kind: 'categorical', column: 'label', classNames: classes, classCount: classes.length },
    warnings: [],
  });
  const request = (over: Record<string, unknown> = {}, data = facts(['a', 'b'])) =>
    checkTraining({
      definition: { problemType: 'classification', spec: { layers: [{ type: 'dense', units: 4 }] } },
      hyperparameters: { epochs: 1, batchSize: 8 },
      preprocessing: undefined,
      data,
      ...over,
    });

  it('refuses unknown optimizers, losses and metrics, and ones that do not fit the problem', async () => {
    expect(request().shapes.map((s) => s.shape)).toEqual([[4], [2]]);
    const hp = (h: Record<string, unknown>) =>
      request({ hyperparameters: { epochs: 1, batchSize: 8, ...h } });
    expect((await failure(() => hp({ optimizer: 'adamw2' }))).message).toBe(
      'Unknown optimizer "adamw2" (use adam, sgd, rmsprop, adagrad, adadelta or adamax)',
    );
    expect((await failure(() => hp({ loss: 'hinge_typo' }))).message).toMatch(/^Unknown loss "hinge_typo"/);
    expect((await failure(() => hp({ loss: 'mse' }))).message).toBe(
      'Loss meanSquaredError does not fit a classification problem',
    );
    expect((await failure(() => hp({ metrics: ['r2'] }))).details.field).toBe('metrics');
  });

  it('refuses a single class, a reshape that does not divide, and an input width that does not fit', async () => {
    expect((await failure(() => request({}, facts(['idle'])))).message).toBe(
      'The label column "label" has only one class ("idle"); classification needs at least two',
    );
    const reshape = await failure(() =>
      request({
        definition: {
          problemType: 'classification',
          spec: {
            layers: [
              { type: 'reshape', columns: 3 },
              { type: 'conv1d', filters: 2 },
            ],
          },
        },
      }),
    );
    expect(reshape.message).toBe(
      'Layer 1 (reshape) has columns 3, which does not divide the 4 values per sample',
    );
    expect(reshape.details.layer).toBe(1);
    const width = await failure(() =>
      request({ definition: { problemType: 'classification', spec: { input: { shape: [2] }, layers: [] } } }),
    );
    expect(width.message).toBe(
      "The architecture's input shape [2] takes 2 values per sample but the data has 4 feature columns",
    );
  });

  it('refuses a code resource that is Python, showing the JSON it must be', async () => {
    const { parseJsonResource } = await import('../src/index.ts');
    const error = await failure(() =>
      parseJsonResource(file('mlw-python-preprocessing.py'), 'code resource'),
    );
    expect(error.message).toMatch(
      /^The code resource is Python code; it must be the declarative preprocessing JSON instead, for example \{ "scaling": "standardize"/,
    );
  });
});

describe('honest evaluation and what the run used (findings 9, 10)', () => {
  it('with early stopping, validation rows are carved off: three disjoint sets, final metrics on the test set', async () => {
    const logs: string[] = [];
    const result = await train({
      spec: { input: { shape: [6] }, layers: [{ type: 'dense', units: 8 }] },
      data: blobs(200, 6, 3, 4),
      backend: 'cpu',
      preprocessing: { testSize: 0.2, classWeights: 'auto' },
      hyperparameters: { epochs: 2, batchSize: 32, seed: 9, earlyStopping: { patience: 3 } },
      callbacks: { onLog: (l) => void logs.push(l) },
    });
    if (result.status === 'cancelled') throw new Error('unreachable');
    const meta = result.artifacts.metadata;
    // Stratified test split (13 of each class), then 10% of the training rows for validation.
    expect(meta.split).toEqual({ train: 145, validation: 16, test: 39, seed: 9, evaluatedOn: 'test' });
    expect(result.metrics.evaluatedOn).toBe('test');
    expect(result.metrics.numSamples).toBe(39);
    expect(Object.keys(meta.classWeights!)).toEqual(['class0', 'class1', 'class2']);
    expect(logs).toContain('Split: 145 training, 16 validation, 39 test samples (seed 9)');
    expect(logs.some((l) => /^Class weights: class0=\d\.\d{4}, class1=/.test(l))).toBe(true);
  });

  it('without a separate validation split the held-out rows are named validation rows', async () => {
    const result = await train({
      spec: { input: { shape: [6] }, layers: [] },
      data: blobs(100, 6, 2, 5),
      backend: 'cpu',
      preprocessing: { testSize: 0.2 },
      hyperparameters: { epochs: 1, batchSize: 32, seed: 2 },
    });
    if (result.status === 'cancelled') throw new Error('unreachable');
    expect(result.metrics.evaluatedOn).toBe('validation');
    expect(result.artifacts.metadata.split).toMatchObject({
      validation: 20,
      test: 0,
      evaluatedOn: 'validation',
    });
    expect(result.artifacts.metadata.classWeights).toBeNull();
  });
});
