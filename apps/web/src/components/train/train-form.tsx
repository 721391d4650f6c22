'use client';
import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { trainInput } from '@trainhub/api/inputs';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Input, NativeSelect, Textarea } from '@/components/ui/input';
import { Field } from '@/components/ui/field';
import { FormError } from '@/components/ui/misc';
import { parseDenseLayers } from '@/lib/architecture';
import { num, text, useSchemaForm } from '@/trpc/form';
import { useTRPC } from '@/trpc/react';
import { CronPreview } from './cron-preview';

interface Option {
  id: number;
  name: string;
}

/** The form's starting values: another run's settings ("Run again…"); absent fields keep the defaults. */
export interface TrainDefaults {
  name?: string;
  datasetResourceId?: number;
  problemType?: string;
  labelColumn?: string;
  architectureMode?: 'resource' | 'simple';
  architectureResourceId?: number;
  layers?: string;
  scaling?: string;
  codeResourceId?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  optimizer?: string;
  testSize?: number;
  seed?: number;
  patience?: number;
  shuffle?: boolean;
  classWeights?: boolean;
}

export function TrainForm({
  projectId,
  datasets,
  architectures,
  codes,
  defaultArchitectureId,
  initial = {},
}: {
  projectId: number;
  datasets: (Option & { classes: number; label: string | null })[];
  architectures: Option[];
  codes: Option[];
  defaultArchitectureId?: number;
  initial?: TrainDefaults;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const train = useMutation(
    trpc.tasks.train.mutationOptions({
      onSuccess: ({ execution }) =>
        router.push(
          execution
            ? `/projects/${projectId}/executions/${execution.id}`
            : `/projects/${projectId}/schedules`,
        ),
    }),
  );
  const form = useSchemaForm(trainInput, train, (data) => formToTrainInput(projectId, data), SHOWN);
  const [cronProblem, setCronProblem] = useState<string | null>(null);
  const [mode, setMode] = useState<string>(
    initial.architectureMode === 'simple' || !architectures.length ? 'simple' : 'resource',
  );
  const [when, setWhen] = useState('now');
  const [cron, setCron] = useState('0 3 * * *');
  const [timezone, setTimezone] = useState('UTC');
  const [datasetId, setDatasetId] = useState(
    datasets.find((d) => d.id === initial.datasetResourceId)?.id ?? datasets[0]?.id,
  );
  const dataset = datasets.find((d) => d.id === datasetId);
  const [epochs, setEpochs] = useState(String(initial.epochs ?? 20));
  const epochCount = Number(epochs);

  /** Refuses a learning rate of 0 or below in the browser (min=0 would let 0 through). */
  const checkLearningRate = (input: HTMLInputElement) =>
    input.setCustomValidity(
      input.value !== '' && !(Number(input.value) > 0)
        ? 'The learning rate must be greater than 0, e.g. 0.001.'
        : '',
    );

  return (
    <form className="flex flex-col gap-6" aria-label="Start a training" onSubmit={form.onSubmit}>
      <Card>
        <CardHeader>
          <CardTitle>Data and model</CardTitle>
        </CardHeader>
        <CardContent className="grid gap-4 sm:grid-cols-2">
          <Field id="name" error={form.fieldError('modelName')} label="Model name">
            <Input
              id="name"
              name="name"
              defaultValue={initial.name ?? 'model'}
              maxLength={200}
              required
              pattern=".*\S.*"
              title="The name needs at least one letter or digit."
            />
          </Field>
          <Field id="datasetResourceId" error={form.fieldError('datasetResourceId')} label="Dataset">
            <NativeSelect
              id="datasetResourceId"
              name="datasetResourceId"
              required
              value={datasetId ?? ''}
              onChange={(e) => setDatasetId(Number(e.target.value))}
            >
              {datasets.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </NativeSelect>
          </Field>
          <Field
            id="problemType"
            error={form.fieldError('problemType')}
            label="Problem type"
            hint={dataset?.classes ? `${dataset.classes} classes seen in the first rows` : undefined}
          >
            <NativeSelect
              id="problemType"
              name="problemType"
              defaultValue={initial.problemType ?? 'classification'}
            >
              <option value="classification">Classification (softmax over classes)</option>
              <option value="binary">Binary classification</option>
              <option value="regression">Regression</option>
            </NativeSelect>
          </Field>
          <Field
            id="labelColumn"
            error={form.fieldError('labelColumn')}
            label="Label column"
            hint="Defaults to the last column."
          >
            <Input
              id="labelColumn"
              name="labelColumn"
              placeholder={dataset?.label ?? 'last column'}
              defaultValue={initial.labelColumn}
              maxLength={200}
            />
          </Field>
          <Field id="architectureMode" label="Network">
            <NativeSelect
              id="architectureMode"
              name="architectureMode"
              value={mode}
              onChange={(e) => setMode(e.target.value)}
            >
              <option value="resource" disabled={!architectures.length}>
                An architecture file
              </option>
              <option value="simple">A simple list of dense layers</option>
            </NativeSelect>
          </Field>
          {mode === 'resource' ? (
            <Field
              id="architectureResourceId"
              error={form.fieldError('architectureResourceId')}
              label="Architecture"
            >
              <NativeSelect
                id="architectureResourceId"
                name="architectureResourceId"
                defaultValue={initial.architectureResourceId ?? defaultArchitectureId}
              >
                {architectures.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name}
                  </option>
                ))}
              </NativeSelect>
            </Field>
          ) : (
            <Field
              id="layers"
              error={form.fieldError('layers')}
              label="Hidden layers"
              hint="Units per dense layer, with an optional activation: 16, 8 tanh"
            >
              <Textarea id="layers" name="layers" defaultValue={initial.layers ?? '16, 8'} rows={2} />
            </Field>
          )}
          <Field
            id="scaling"
            error={form.fieldError('scaling')}
            label="Preprocessing"
            hint="Scaling is fitted on the training split."
          >
            <NativeSelect id="scaling" name="scaling" defaultValue={initial.scaling ?? 'standardize'}>
              <option value="none">None</option>
              <option value="standardize">Standardize (z-score)</option>
              <option value="minmax">Min-max to [0, 1]</option>
            </NativeSelect>
          </Field>
          <Field
            id="codeResourceId"
            error={form.fieldError('codeResourceId')}
            label="Preprocessing file (optional)"
            hint="A code resource replaces the choice above."
          >
            <NativeSelect
              id="codeResourceId"
              name="codeResourceId"
              defaultValue={initial.codeResourceId ?? ''}
            >
              <option value="">None</option>
              {codes.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </NativeSelect>
          </Field>
        </CardContent>
      </Card>

      <Card>
        <CardHeader>
          <CardTitle>Hyperparameters</CardTitle>
          <CardDescription>
            The MLW fields; Edge Impulse calls epochs &ldquo;training cycles&rdquo;.
          </CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4 sm:grid-cols-3">
          <Field
            id="epochs"
            error={form.fieldError('hyperparameters.epochs')}
            label="Epochs (training cycles)"
            hint={
              epochCount > 1000
                ? `${epochCount.toLocaleString('en')} epochs is a long training: most small tabular models converge within a few hundred. Early-stopping patience ends it sooner.`
                : undefined
            }
          >
            <Input
              id="epochs"
              name="epochs"
              type="number"
              min={1}
              max={100000}
              step={1}
              value={epochs}
              onChange={(e) => setEpochs(e.target.value)}
              required
            />
          </Field>
          <Field id="batchSize" error={form.fieldError('hyperparameters.batchSize')} label="Batch size">
            <Input
              id="batchSize"
              name="batchSize"
              type="number"
              min={1}
              defaultValue={initial.batchSize ?? 32}
              required
            />
          </Field>
          <Field
            id="learningRate"
            error={form.fieldError('hyperparameters.learningRate')}
            label="Learning rate"
            hint="Empty: the optimizer's default."
          >
            <Input
              id="learningRate"
              name="learningRate"
              type="number"
              step="any"
              min={0}
              placeholder="0.001"
              defaultValue={initial.learningRate}
              onInput={(e) => checkLearningRate(e.currentTarget)}
            />
          </Field>
          <Field id="optimizer" error={form.fieldError('hyperparameters.optimizer')} label="Optimizer">
            <NativeSelect id="optimizer" name="optimizer" defaultValue={initial.optimizer ?? 'adam'}>
              <option value="adam">Adam</option>
              <option value="sgd">SGD</option>
              <option value="rmsprop">RMSprop</option>
              <option value="adagrad">Adagrad</option>
            </NativeSelect>
          </Field>
          <Field
            id="testSize"
            error={form.fieldError('hyperparameters.testSize')}
            label="Validation split"
            hint="Fraction held out, e.g. 0.2"
          >
            <Input
              id="testSize"
              name="testSize"
              type="number"
              step="any"
              min={0}
              max={1}
              defaultValue={initial.testSize ?? 0.2}
            />
          </Field>
          <Field id="seed" error={form.fieldError('hyperparameters.seed')} label="Random seed (optional)">
            <Input id="seed" name="seed" type="number" step={1} defaultValue={initial.seed} />
          </Field>
          <Field
            id="patience"
            error={form.fieldError('hyperparameters.earlyStopping')}
            label="Early stopping patience"
            hint="Epochs without val_loss improvement; empty: off."
          >
            <Input
              id="patience"
              name="patience"
              type="number"
              min={0}
              step={1}
              defaultValue={initial.patience}
            />
          </Field>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" name="shuffle" defaultChecked={initial.shuffle ?? true} /> Shuffle
          </label>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" name="classWeights" defaultChecked={initial.classWeights ?? false} />{' '}
            Balance classes (auto weights)
          </label>
        </CardContent>
      </Card>

      <Card>
        <CardHeader>
          <CardTitle>When</CardTitle>
        </CardHeader>
        <CardContent className="flex flex-col gap-4">
          <fieldset className="flex flex-wrap gap-4 text-sm">
            <legend className="sr-only">Schedule</legend>
            {[
              ['now', 'Now'],
              ['at', 'At a date and time'],
              ['cron', 'Repeatedly (cron)'],
            ].map(([value, label]) => (
              <label key={value} className="flex items-center gap-2">
                <input
                  type="radio"
                  name="when"
                  value={value}
                  checked={when === value}
                  onChange={() => setWhen(value!)}
                />
                {label}
              </label>
            ))}
          </fieldset>
          {when === 'at' ? (
            <Field id="startAt" error={form.fieldError('startAt')} label="Start at (your local time)">
              <Input id="startAt" name="startAt" type="datetime-local" required className="max-w-xs" />
            </Field>
          ) : null}
          {when === 'cron' ? (
            <div className="grid gap-4 sm:grid-cols-2">
              <Field
                id="cron"
                error={form.fieldError('cronExpression') ?? cronProblem}
                label="Cron expression"
                hint="minute hour day month weekday; a sixth leading field is seconds"
              >
                <Input
                  id="cron"
                  name="cron"
                  value={cron}
                  onChange={(e) => setCron(e.target.value)}
                  className="font-mono"
                />
              </Field>
              <Field id="timezone" error={form.fieldError('timezone')} label="Timezone">
                <Input
                  id="timezone"
                  name="timezone"
                  value={timezone}
                  onChange={(e) => setTimezone(e.target.value)}
                />
              </Field>
              <div className="sm:col-span-2">
                <CronPreview expression={cron} timezone={timezone} onError={setCronProblem} />
              </div>
            </div>
          ) : null}
        </CardContent>
      </Card>
      <FormError message={form.formError} />
      <div>
        <Button type="submit" size="lg" disabled={form.pending || datasets.length === 0}>
          {form.pending ? 'Starting…' : when === 'cron' ? 'Create schedule' : 'Start training'}
        </Button>
      </div>
    </form>
  );
}

/** The paths of trainInput the form shows at a field (any other refusal shows under the form). */
const SHOWN = [
  'modelName',
  'datasetResourceId',
  'problemType',
  'labelColumn',
  'architectureResourceId',
  'layers',
  'scaling',
  'codeResourceId',
  // The hyperparameters the form has a field for; another one's refusal (loss, metrics) is the form's error.
  'hyperparameters.epochs',
  'hyperparameters.batchSize',
  'hyperparameters.learningRate',
  'hyperparameters.optimizer',
  'hyperparameters.testSize',
  'hyperparameters.seed',
  'hyperparameters.earlyStopping',
  'cronExpression',
  'timezone',
  'startAt',
];

/**
 * The Train form's values as `tasks.train`'s input: numbers parsed (NaN when not one, for the schema to
 * name), the simple mode's "16, 8 tanh" as dense layers, the schedule from the "When" choice. A
 * datetime-local value has no zone: it is read in the browser's own zone.
 */
export function formToTrainInput(projectId: number, data: FormData) {
  const id = (name: string) => num(data, name);
  const when = text(data, 'when');
  const patience = num(data, 'patience');
  const startAt = text(data, 'startAt');
  const scaling = text(data, 'scaling');
  return {
    projectId,
    modelName: text(data, 'name'),
    datasetResourceId: id('datasetResourceId'),
    codeResourceId: id('codeResourceId') ?? null,
    problemType: text(data, 'problemType'),
    labelColumn: text(data, 'labelColumn').trim() || undefined,
    scaling: scaling || undefined,
    ...(text(data, 'architectureMode') === 'resource'
      ? { architectureResourceId: id('architectureResourceId') }
      : { layers: parseDenseLayers(text(data, 'layers')) }),
    hyperparameters: {
      epochs: num(data, 'epochs'),
      batchSize: num(data, 'batchSize'),
      learningRate: num(data, 'learningRate'),
      optimizer: text(data, 'optimizer') || undefined,
      testSize: num(data, 'testSize'),
      shuffle: data.get('shuffle') === 'on',
      seed: num(data, 'seed'),
      ...(patience !== undefined ? { earlyStopping: { monitor: 'val_loss', patience } } : {}),
      ...(data.get('classWeights') === 'on' ? { classWeights: true } : {}),
    },
    ...(when === 'cron'
      ? { cronExpression: text(data, 'cron'), timezone: text(data, 'timezone').trim() || 'UTC' }
      : {}),
    ...(when === 'at' ? { startAt: startAt ? new Date(startAt) : new Date(Number.NaN) } : {}),
  };
}
