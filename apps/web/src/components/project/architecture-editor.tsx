'use client';
import { ArrowDown, ArrowUp, Plus, Trash2 } from 'lucide-react';
import Link from 'next/link';
import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useMemo, useState, useTransition } from 'react';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Input, NativeSelect } from '@/components/ui/input';
import { Field } from '@/components/ui/field';
import { Label } from '@/components/ui/label';
import { FormError } from '@/components/ui/misc';
import { attempt } from '@/trpc/form';
import { useTRPC } from '@/trpc/react';
import {
  ACTIVATIONS,
  analyze,
  defaultLayer,
  LAYER_TYPES,
  shapeText,
  toSpec,
  type EditorLayer,
  type EditorLayerType,
} from '@/lib/architecture';

export interface DatasetShape {
  id: number;
  name: string;
  features: number;
  classes: number;
}

function NumberField({
  label,
  value,
  onChange,
  step = 1,
  min,
}: {
  label: string;
  value: number | undefined;
  onChange: (v: number) => void;
  step?: number;
  min?: number;
}) {
  return (
    <label className="flex flex-col gap-1 text-xs">
      <span className="text-slate-500">{label}</span>
      <Input
        type="number"
        className="h-8 w-24"
        value={value ?? ''}
        step={step}
        min={min}
        onChange={(e) => onChange(e.target.value === '' ? NaN : Number(e.target.value))}
      />
    </label>
  );
}

function ActivationField({ value, onChange }: { value: string | undefined; onChange: (v: string) => void }) {
  return (
    <label className="flex flex-col gap-1 text-xs">
      <span className="text-slate-500">activation</span>
      <NativeSelect className="h-8 w-28" value={value ?? 'relu'} onChange={(e) => onChange(e.target.value)}>
        {ACTIVATIONS.map((a) => (
          <option key={a}>{a}</option>
        ))}
      </NativeSelect>
    </label>
  );
}

function LayerParams({ layer, set }: { layer: EditorLayer; set: (patch: Partial<EditorLayer>) => void }) {
  switch (layer.type) {
    case 'dense':
      return (
        <>
          <NumberField label="units" value={layer.units} min={1} onChange={(units) => set({ units })} />
          <ActivationField value={layer.activation} onChange={(activation) => set({ activation })} />
        </>
      );
    case 'conv1d':
    case 'conv2d':
      return (
        <>
          <NumberField
            label="filters"
            value={layer.filters}
            min={1}
            onChange={(filters) => set({ filters })}
          />
          <NumberField
            label="kernel"
            value={layer.kernelSize}
            min={1}
            onChange={(kernelSize) => set({ kernelSize })}
          />
          <NumberField label="stack" value={layer.stack} min={1} onChange={(stack) => set({ stack })} />
          <ActivationField value={layer.activation} onChange={(activation) => set({ activation })} />
          <label className="flex items-center gap-1 self-end pb-2 text-xs">
            <input
              type="checkbox"
              checked={!!layer.pool}
              onChange={(e) => set({ pool: e.target.checked ? { type: 'max', size: 2 } : null })}
            />
            max pool 2
          </label>
        </>
      );
    case 'depthwiseConv2d':
      return (
        <>
          <NumberField
            label="kernel"
            value={layer.kernelSize}
            min={1}
            onChange={(kernelSize) => set({ kernelSize })}
          />
          <NumberField
            label="depth multiplier"
            value={layer.depthMultiplier}
            min={1}
            onChange={(depthMultiplier) => set({ depthMultiplier })}
          />
          <ActivationField value={layer.activation} onChange={(activation) => set({ activation })} />
        </>
      );
    case 'reshape':
      return (
        <NumberField label="columns" value={layer.columns} min={1} onChange={(columns) => set({ columns })} />
      );
    case 'dropout':
      return (
        <NumberField label="rate" value={layer.rate} step={0.05} min={0} onChange={(rate) => set({ rate })} />
      );
    case 'maxPool1d':
    case 'avgPool1d':
    case 'maxPool2d':
    case 'avgPool2d':
      return (
        <NumberField
          label="pool size"
          value={layer.poolSize}
          min={1}
          onChange={(poolSize) => set({ poolSize })}
        />
      );
    case 'activation':
      return <ActivationField value={layer.activation} onChange={(activation) => set({ activation })} />;
    default:
      return null;
  }
}

export function ArchitectureEditor({
  projectId,
  datasets,
  initial,
}: {
  projectId: number;
  datasets: DatasetShape[];
  initial?: { name: string; layers: EditorLayer[] };
}) {
  const [datasetId, setDatasetId] = useState<number | null>(datasets[0]?.id ?? null);
  const [problemType, setProblemType] = useState('classification');
  const [layers, setLayers] = useState<EditorLayer[]>(
    initial?.layers ?? [
      defaultLayer('dense'),
      defaultLayer('dropout'),
      { ...defaultLayer('dense'), units: 8 },
    ],
  );
  const [addType, setAddType] = useState<EditorLayerType>('dense');
  const [name, setName] = useState(initial?.name ?? 'my-network');
  const trpc = useTRPC();
  const router = useRouter();
  const upload = useMutation(trpc.resources.uploadText.mutationOptions());
  const [pending, start] = useTransition();
  const [result, setResult] = useState<{ error?: string; message?: string } | null>(null);
  /** Saves the spec as `<name>.architecture` (an ARCHITECTURE resource the Train form offers). */
  const save = async () => {
    const clean = name.trim().replace(/\.architecture$/i, '');
    if (!clean) return setResult({ error: 'Give the architecture a name.' });
    let saved = '';
    const outcome = await attempt(async () => {
      const resource = await upload.mutateAsync({
        projectId,
        name: `${clean}.architecture`,
        content: JSON.stringify(toSpec(name, input, layers), null, 2),
        kind: 'ARCHITECTURE',
      });
      saved = resource.name;
    });
    setResult(outcome.error ? outcome : { message: `Saved as ${saved}.` });
    if (!outcome.error) router.refresh();
  };
  const dataset = datasets.find((d) => d.id === datasetId) ?? null;
  const input = useMemo(() => (dataset ? [dataset.features] : []), [dataset]);
  const analysis = useMemo(
    () =>
      analyze(input, layers, {
        problemType,
        outputs: problemType === 'regression' ? 1 : (dataset?.classes ?? 2),
      }),
    [input, layers, problemType, dataset],
  );

  const update = (i: number, patch: Partial<EditorLayer>) =>
    setLayers((list) => list.map((l, j) => (j === i ? { ...l, ...patch } : l)));
  const move = (i: number, d: number) =>
    setLayers((list) => {
      const next = [...list];
      const [item] = next.splice(i, 1);
      next.splice(i + d, 0, item!);
      return next;
    });

  return (
    <div className="flex flex-col gap-6">
      <Card>
        <CardHeader>
          <CardTitle>Input and head</CardTitle>
          <CardDescription>
            The dataset fixes the input shape; the output head follows the problem type.
          </CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4 sm:grid-cols-3">
          <Field id="arch-dataset" label="Dataset">
            <NativeSelect
              id="arch-dataset"
              value={datasetId ?? ''}
              onChange={(e) => setDatasetId(e.target.value ? Number(e.target.value) : null)}
            >
              {datasets.length === 0 ? <option value="">Upload a CSV first</option> : null}
              {datasets.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name} ({d.features} features)
                </option>
              ))}
            </NativeSelect>
          </Field>
          <Field id="arch-problem" label="Problem type">
            <NativeSelect
              id="arch-problem"
              value={problemType}
              onChange={(e) => setProblemType(e.target.value)}
            >
              <option value="classification">Classification</option>
              <option value="binary">Binary</option>
              <option value="regression">Regression</option>
            </NativeSelect>
          </Field>
          <div className="flex flex-col gap-2 text-sm">
            <span className="font-medium">Input shape</span>
            <span data-testid="input-shape">{shapeText(input.length ? input : null)}</span>
          </div>
        </CardContent>
      </Card>

      <Card>
        <CardHeader>
          <CardTitle>Layers</CardTitle>
          <CardDescription>
            Total parameters:{' '}
            <strong data-testid="total-params">{analysis.total.toLocaleString('en-US')}</strong>
            {analysis.valid ? null : <span className="ml-2 text-red-600">— fix the marked layers</span>}
          </CardDescription>
        </CardHeader>
        <CardContent className="flex flex-col gap-3">
          <ol className="flex flex-col gap-2" aria-label="Layers">
            {layers.map((layer, i) => {
              const info = analysis.layers[i];
              return (
                <li
                  key={i}
                  data-testid="layer-row"
                  className={`flex flex-col gap-2 rounded-lg border p-3 sm:flex-row sm:items-end ${
                    info?.error ? 'border-red-400' : 'border-slate-200 dark:border-slate-800'
                  } ${layer.enabled === false ? 'opacity-60' : ''}`}
                >
                  <div className="flex min-w-32 flex-col gap-1">
                    <span className="text-xs text-slate-500">#{i + 1}</span>
                    <code className="font-medium">{layer.type}</code>
                  </div>
                  <div className="flex flex-1 flex-wrap gap-2">
                    <LayerParams layer={layer} set={(patch) => update(i, patch)} />
                  </div>
                  <div className="flex flex-col text-xs sm:w-36 sm:text-right">
                    <span data-testid="layer-shape">{shapeText(info?.shape ?? null)}</span>
                    <span className="text-slate-500">{info?.params.toLocaleString('en-US')} params</span>
                    {info?.error ? (
                      <span role="alert" className="text-red-600">
                        {info.error}
                      </span>
                    ) : null}
                  </div>
                  <div className="flex items-center gap-1">
                    <label className="flex items-center gap-1 text-xs">
                      <input
                        type="checkbox"
                        checked={layer.enabled !== false}
                        onChange={(e) => update(i, { enabled: e.target.checked ? undefined : false })}
                        aria-label={`Layer ${i + 1} enabled`}
                      />
                      on
                    </label>
                    <Button
                      variant="ghost"
                      size="icon"
                      aria-label={`Move layer ${i + 1} up`}
                      disabled={i === 0}
                      onClick={() => move(i, -1)}
                    >
                      <ArrowUp />
                    </Button>
                    <Button
                      variant="ghost"
                      size="icon"
                      aria-label={`Move layer ${i + 1} down`}
                      disabled={i === layers.length - 1}
                      onClick={() => move(i, 1)}
                    >
                      <ArrowDown />
                    </Button>
                    <Button
                      variant="ghost"
                      size="icon"
                      aria-label={`Remove layer ${i + 1}`}
                      onClick={() => setLayers((list) => list.filter((_, j) => j !== i))}
                    >
                      <Trash2 />
                    </Button>
                  </div>
                </li>
              );
            })}
            <li className="flex items-center justify-between rounded-lg border border-dashed border-slate-300 p-3 text-sm dark:border-slate-700">
              <span>
                Output head:{' '}
                <code>
                  {problemType === 'regression'
                    ? 'dense linear'
                    : problemType === 'binary'
                      ? 'dense sigmoid'
                      : 'dense softmax'}
                </code>
              </span>
              <span className="text-xs">
                {shapeText(analysis.head.shape)} · {analysis.head.params.toLocaleString('en-US')} params
              </span>
            </li>
          </ol>
          <div className="flex flex-wrap items-end gap-2">
            <div className="flex flex-col gap-1">
              <Label htmlFor="add-layer-type">Layer type</Label>
              <NativeSelect
                id="add-layer-type"
                className="w-48"
                value={addType}
                onChange={(e) => setAddType(e.target.value as EditorLayerType)}
              >
                {LAYER_TYPES.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </NativeSelect>
            </div>
            <Button variant="outline" onClick={() => setLayers((list) => [...list, defaultLayer(addType)])}>
              <Plus /> Add layer
            </Button>
          </div>
        </CardContent>
      </Card>

      <Card>
        <CardContent className="flex flex-col gap-3 pt-5 sm:flex-row sm:items-end">
          <Field id="arch-name" label="Save as" className="flex-1">
            <Input id="arch-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={150} />
          </Field>
          <Button
            disabled={pending || !analysis.valid || !dataset}
            onClick={() =>
              start(async () => {
                await save();
              })
            }
          >
            {pending ? 'Saving…' : 'Save architecture'}
          </Button>
        </CardContent>
        <CardContent>
          <FormError message={result?.error} />
          {result?.message ? (
            <p className="text-sm text-emerald-700 dark:text-emerald-400" role="status">
              {result.message}{' '}
              <Link className="underline" href={`/projects/${projectId}/train`}>
                Train it
              </Link>
            </p>
          ) : null}
        </CardContent>
      </Card>
    </div>
  );
}
