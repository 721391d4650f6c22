import Link from 'next/link';
import { notFound } from 'next/navigation';
import { hyperparametersSchema, trainingDefinitionSchema } from '@trainhub/db/contracts';
import { TrainForm, type TrainDefaults } from '@/components/train/train-form';
import { Button } from '@/components/ui/button';
import { EmptyState, PageHeader } from '@/components/ui/misc';
import { can } from '@/lib/utils';
import { datasetShapes } from '@/server/dataset-preview';
import { projectContext } from '@/server/request-context';
import { api } from '@/trpc/server';

/**
 * The Train form's values from an earlier task ("Run again…" on a run page): its name, dataset, network,
 * preprocessing and hyperparameters. A task of another project or one the caller cannot read gives none.
 */
async function defaultsFromTask(projectId: number, raw: unknown): Promise<TrainDefaults> {
  if (typeof raw !== 'string' || !/^\d{1,12}$/.test(raw)) return {};
  const task = await (await api()).tasks.get({ taskId: Number(raw) }).catch(() => null);
  if (!task || task.projectId !== projectId) return {};
  const definition = trainingDefinitionSchema.safeParse(task.definition).data;
  const h = hyperparametersSchema.safeParse(task.hyperparameters).data;
  const spec = definition?.spec as {
    format?: string;
    layers?: { type?: string; units?: number; activation?: string }[];
  };
  // The form's simple mode lists dense layers only (other styles' models are stored in our format too).
  const simple =
    spec?.format === 'trainhub.architecture' &&
    Array.isArray(spec.layers) &&
    spec.layers.every((l) => l.type === 'dense');
  const scaling = (definition?.preprocessing as { scaling?: string } | undefined)?.scaling;
  return {
    name: task.name,
    datasetResourceId: definition?.datasetResourceId,
    problemType: definition?.problemType,
    labelColumn: definition?.labelColumns?.[0],
    architectureMode: task.architectureResourceId ? 'resource' : simple ? 'simple' : undefined,
    architectureResourceId: task.architectureResourceId ?? undefined,
    layers:
      simple && spec.layers
        ? spec.layers.map((l) => `${l.units ?? ''} ${l.activation ?? 'relu'}`.trim()).join(', ')
        : undefined,
    scaling: task.codeResourceId ? undefined : (scaling ?? 'none'),
    codeResourceId: task.codeResourceId ?? undefined,
    epochs: h?.epochs,
    batchSize: h?.batchSize,
    learningRate: h?.learningRate,
    optimizer: h?.optimizer,
    testSize: h?.testSize,
    seed: h?.seed,
    patience: h?.earlyStopping?.patience,
    shuffle: h?.shuffle,
    classWeights: h?.classWeights,
  };
}

export default async function TrainPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { project, role } = await projectContext((await params).id);
  if (!can(role, 'EDITOR')) notFound();
  const [datasets, resources] = await Promise.all([
    datasetShapes(project.id),
    (await api()).resources.list({ projectId: project.id }),
  ]);
  const architectures = resources
    .filter((r) => r.kind === 'ARCHITECTURE')
    .map((r) => ({ id: r.id, name: r.name }));
  const codes = resources.filter((r) => r.kind === 'CODE').map((r) => ({ id: r.id, name: r.name }));
  const query = await searchParams;
  const arch = query.architecture;
  const initial = await defaultsFromTask(project.id, query.from);
  return (
    <>
      <PageHeader
        title="Train a model"
        description="Pick data and a network, tune the hyperparameters, and run it now, later or on a schedule."
      />
      {datasets.length === 0 ? (
        <EmptyState
          title="No dataset yet"
          action={
            <Button asChild>
              <Link href={`/projects/${project.id}`}>Upload a CSV</Link>
            </Button>
          }
        >
          A training needs a dataset: upload a CSV with a header row and the label in the last column.
        </EmptyState>
      ) : (
        <TrainForm
          projectId={project.id}
          datasets={datasets.map((d) => ({ id: d.id, name: d.name, classes: d.classes, label: d.label }))}
          architectures={architectures}
          codes={codes}
          initial={initial}
          defaultArchitectureId={
            typeof arch === 'string' && /^\d+$/.test(arch) ? Number(arch) : architectures[0]?.id
          }
        />
      )}
    </>
  );
}
