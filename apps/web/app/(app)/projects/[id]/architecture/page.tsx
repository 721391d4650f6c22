import { notFound } from 'next/navigation';
import { ArchitectureEditor } from '@/components/project/architecture-editor';
import { PageHeader } from '@/components/ui/misc';
import { layersOfSpec, type EditorLayer } from '@/lib/architecture';
import { can } from '@/lib/utils';
import { headOf, datasetShapes } from '@/server/dataset-preview';
import { projectContext } from '@/server/request-context';

export default async function ArchitecturePage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { project, role } = await projectContext((await params).id);
  if (!can(role, 'EDITOR')) notFound();
  const datasets = await datasetShapes(project.id);
  const from = (await searchParams).from;
  let initial: { name: string; layers: EditorLayer[] } | undefined;
  if (typeof from === 'string' && /^\d+$/.test(from)) {
    const head = await headOf(project.id, Number(from), 1024 * 1024).catch(() => null);
    try {
      const spec = head ? layersOfSpec(JSON.parse(head.text)) : null;
      if (spec) initial = { name: head!.resource.name.replace(/\.architecture$/, ''), layers: spec.layers };
    } catch {
      initial = undefined;
    }
  }
  return (
    <>
      <PageHeader
        title="Architecture editor"
        description="Stack layers, watch the shapes and parameter counts, and save the network as an architecture file."
      />
      <ArchitectureEditor
        projectId={project.id}
        datasets={datasets
          .filter((d) => d.features > 0)
          .map(({ id, name, features, classes }) => ({ id, name, features, classes }))}
        initial={initial}
      />
    </>
  );
}
