import { ApiDocs } from '@/components/project/api-docs';
import { PageHeader } from '@/components/ui/misc';
import { projectContext } from '@/server/session';

export default async function ApiPage({ params }: { params: Promise<{ id: string }> }) {
  const { project } = await projectContext((await params).id);
  return (
    <>
      <PageHeader
        title="API"
        description={`Three REST styles and tRPC reach the same projects and trainings. This project's id is ${project.id}.`}
      />
      <ApiDocs projectId={project.id} />
    </>
  );
}
