import Link from 'next/link';
import { SamplePlot } from '@/components/samples/sample-plot';
import { EmptyState, PageHeader, Table, Td, Th } from '@/components/ui/misc';
import { formatDateTime } from '@/lib/utils';
import { projectContext } from '@/server/request-context';
import { api } from '@/trpc/server';

// A project's samples (Edge Impulse ingestion): counts per label and category, the samples of a category and a
// plot of one sample's values. `?category=training|testing&sample=<id>`.
export default async function SamplesPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ category?: string; sample?: string }>;
}) {
  const { project } = await projectContext((await params).id);
  const query = await searchParams;
  const category = query.category === 'testing' ? 'testing' : 'training';
  const trpc = await api();
  const summary = await trpc.samples.summary({ projectId: project.id });
  const { samples, totalCount } = await trpc.samples.list({ projectId: project.id, category, limit: 200 });
  const asked = Number(query.sample);
  const selectedId = Number.isSafeInteger(asked) && asked > 0 ? asked : samples[0]?.id;
  // A sample id from the URL that is not the project's (or malformed) shows the page without a plot.
  const selected = selectedId
    ? await trpc.samples.get({ projectId: project.id, sampleId: selectedId }).catch(() => null)
    : null;
  const labels = [...new Set(summary.map((s) => s.label))].sort();
  const count = (label: string, cat: string) =>
    summary.find((s) => s.label === label && s.category === cat)?.count ?? 0;
  const base = `/projects/${project.id}/samples`;
  return (
    <>
      <PageHeader
        title="Samples"
        description="Time series sent through the Edge Impulse ingestion service (/ingestion/api/{category}/files)."
      />
      {summary.length === 0 ? (
        <EmptyState title="No samples" testId="samples-empty">
          Upload JSON or CSV samples with the Edge Impulse CLI or Python SDK, or POST them to
          /ingestion/api/training/files with a project API key.
        </EmptyState>
      ) : (
        <div className="flex flex-col gap-6">
          <Table data-testid="samples-summary">
            <thead>
              <tr>
                <Th>Label</Th>
                <Th>Training</Th>
                <Th>Testing</Th>
              </tr>
            </thead>
            <tbody>
              {labels.map((label) => (
                <tr key={label}>
                  <Td>{label || <em>unlabelled</em>}</Td>
                  <Td>{count(label, 'training')}</Td>
                  <Td>{count(label, 'testing')}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
          <nav aria-label="Category" className="flex gap-3 text-sm">
            {(['training', 'testing'] as const).map((c) => (
              <Link
                key={c}
                href={`${base}?category=${c}`}
                aria-current={c === category ? 'page' : undefined}
                className={c === category ? 'font-medium text-indigo-600' : 'text-slate-600'}
              >
                {c === 'training' ? 'Training' : 'Testing'}
              </Link>
            ))}
          </nav>
          {selected ? (
            <section aria-label="Sample">
              <h2 className="mb-2 font-medium">
                {selected.filename}{' '}
                <span className="text-sm text-slate-500">({selected.label || 'unlabelled'})</span>
              </h2>
              <SamplePlot
                intervalMs={selected.intervalMs}
                sensors={selected.sensors as { name: string; units: string }[]}
                values={selected.values as number[][]}
              />
            </section>
          ) : null}
          <Table data-testid="samples-table">
            <thead>
              <tr>
                <Th>Name</Th>
                <Th>Label</Th>
                <Th>Length</Th>
                <Th>Sensors</Th>
                <Th>Added</Th>
              </tr>
            </thead>
            <tbody>
              {samples.map((s) => (
                <tr key={s.id}>
                  <Td>
                    <Link href={`${base}?category=${category}&sample=${s.id}`} className="text-indigo-600">
                      {s.filename}
                    </Link>
                  </Td>
                  <Td>{s.label}</Td>
                  <Td>{Math.round(s.valuesCount * s.intervalMs)} ms</Td>
                  <Td>{(s.sensors as { name: string }[]).map((x) => x.name).join(', ')}</Td>
                  <Td>{formatDateTime(s.createdAt)}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
          {totalCount > samples.length ? (
            <p className="text-sm text-slate-500">
              Showing {samples.length} of {totalCount} samples.
            </p>
          ) : null}
        </div>
      )}
    </>
  );
}
