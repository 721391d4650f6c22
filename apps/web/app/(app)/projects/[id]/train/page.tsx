import Link from 'next/link';
import { notFound } from 'next/navigation';
import { services } from '@trainhub/api';
import { TrainForm } from '@/components/train/train-form';
import { Button } from '@/components/ui/button';
import { EmptyState, PageHeader } from '@/components/ui/misc';
import { can } from '@/lib/utils';
import { getDb } from '@/server/db';
import { datasetShapes } from '@/server/datasets';
import { projectContext } from '@/server/session';

export default async function TrainPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { principal, project, role } = await projectContext((await params).id);
  if (!can(role, 'EDITOR')) notFound();
  const db = getDb();
  const [datasets, resources] = await Promise.all([
    datasetShapes(principal, project.id),
    services.listResources(db, principal, project.id),
  ]);
  const architectures = resources
    .filter((r) => r.kind === 'ARCHITECTURE')
    .map((r) => ({ id: r.id, name: r.name }));
  const codes = resources.filter((r) => r.kind === 'CODE').map((r) => ({ id: r.id, name: r.name }));
  const arch = (await searchParams).architecture;
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
          defaultArchitectureId={
            typeof arch === 'string' && /^\d+$/.test(arch) ? Number(arch) : architectures[0]?.id
          }
        />
      )}
    </>
  );
}
