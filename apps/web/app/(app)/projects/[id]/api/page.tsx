import { ApiDocs } from '@/components/project/api-docs';
import { PageHeader } from '@/components/ui/misc';
import { getDb } from '@/server/db';
import { projectContext } from '@/server/session';

export default async function ApiPage({ params }: { params: Promise<{ id: string }> }) {
  const { project } = await projectContext((await params).id);
  const db = getDb();
  const [resource, task, execution] = await Promise.all([
    db.resource.findFirst({
      where: { projectId: project.id, deletedAt: null },
      orderBy: { id: 'desc' },
      select: { id: true },
    }),
    db.task.findFirst({
      where: { projectId: project.id, deletedAt: null },
      orderBy: { id: 'desc' },
      select: { id: true },
    }),
    db.execution.findFirst({
      where: { projectId: project.id },
      orderBy: { id: 'desc' },
      select: { id: true },
    }),
  ]);
  return (
    <>
      <PageHeader
        title="API"
        description={`Three REST styles and tRPC reach the same projects and trainings. This project's id is ${project.id}.`}
      />
      <ApiDocs
        ids={{
          projectId: project.id,
          resourceId: resource?.id,
          taskId: task?.id,
          executionId: execution?.id,
        }}
      />
    </>
  );
}
