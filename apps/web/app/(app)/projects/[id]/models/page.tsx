import Link from 'next/link';
import { Badge } from '@/components/ui/badge';
import { EmptyState, PageHeader, Table, Td, Th } from '@/components/ui/misc';
import { formatDateTime } from '@/lib/utils';
import { projectContext } from '@/server/request-context';
import { api } from '@/trpc/server';

const fmt = (v: unknown) => (typeof v === 'number' ? v.toFixed(4) : '–');

/** The model registry of a project: names, their versions with metrics, and which version is deployed. */
export default async function ModelsPage({ params }: { params: Promise<{ id: string }> }) {
  const { project } = await projectContext((await params).id);
  const trpc = await api();
  const models = await trpc.models.list({ projectId: project.id });
  const versions = await Promise.all(
    models.map((m) => trpc.models.versions({ projectId: project.id, name: m.name })),
  );
  const tests = await trpc.models.jobs({ projectId: project.id, kind: 'EVALUATE', take: 1000 });
  const lastTest = new Map<number, (typeof tests)[number]>();
  for (const t of tests)
    if (t.status === 'COMPLETED' && !lastTest.has(t.modelResourceId)) lastTest.set(t.modelResourceId, t);
  return (
    <>
      <PageHeader
        title="Models"
        description="Trained models by name. Each training of a name is a version; one version per name can be deployed. Try a version, score a dataset with it or test it on labelled data."
      />
      {models.length === 0 ? (
        <EmptyState title="No models yet" testId="models-empty">
          A completed training saves its model here.
        </EmptyState>
      ) : (
        <div className="flex flex-col gap-8">
          {models.map((m, i) => (
            <section key={m.name} data-testid="model-group" aria-label={m.name}>
              <h2 className="mb-2 flex items-center gap-2 text-lg font-semibold">
                {m.name}
                <span className="text-sm font-normal text-slate-500">
                  {m.versions} version{m.versions === 1 ? '' : 's'}
                </span>
                {m.deployed ? <Badge variant="green">v{m.deployed.version} deployed</Badge> : null}
              </h2>
              <Table>
                <thead>
                  <tr>
                    <Th>Version</Th>
                    <Th>Trained</Th>
                    <Th>Validation accuracy</Th>
                    <Th>Validation loss</Th>
                    <Th>Last test accuracy</Th>
                    <Th>Status</Th>
                  </tr>
                </thead>
                <tbody>
                  {versions[i]!.map((v) => {
                    const metrics = (v.run?.metrics ?? {}) as Record<string, unknown>;
                    const test = lastTest.get(v.resourceId)?.result as Record<string, unknown> | undefined;
                    return (
                      <tr key={v.resourceId} data-testid="model-version-row">
                        <Td>
                          <Link
                            className="font-medium text-indigo-600 hover:underline"
                            href={`/projects/${project.id}/models/${v.resourceId}`}
                          >
                            {m.name} v{v.version}
                          </Link>
                        </Td>
                        <Td className="text-sm">{formatDateTime(v.createdAt)}</Td>
                        <Td className="font-mono">{fmt(metrics.accuracy)}</Td>
                        <Td className="font-mono">{fmt(metrics.loss ?? metrics.mse)}</Td>
                        <Td className="font-mono">{fmt(test?.accuracy ?? test?.r2)}</Td>
                        <Td>{v.deployed ? <Badge variant="green">deployed</Badge> : null}</Td>
                      </tr>
                    );
                  })}
                </tbody>
              </Table>
            </section>
          ))}
        </div>
      )}
    </>
  );
}
