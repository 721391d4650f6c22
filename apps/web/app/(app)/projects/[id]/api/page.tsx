import { ApiDocs } from '@/components/project/api-docs';
import { PageHeader } from '@/components/ui/misc';
import { getDb } from '@/server/deps';
import { projectContext } from '@/server/request-context';

export default async function ApiPage({ params }: { params: Promise<{ id: string }> }) {
  const { project } = await projectContext((await params).id);
  const db = getDb();
  const newest = { orderBy: { id: 'desc' }, select: { id: true } } as const;
  const live = { projectId: project.id, deletedAt: null };
  const [resource, dataset, architecture, model, task, execution, learnBlock] = await Promise.all([
    db.resource.findFirst({ where: live, ...newest }),
    db.resource.findFirst({ where: { ...live, kind: 'DATASET' }, ...newest }),
    db.resource.findFirst({ where: { ...live, kind: 'ARCHITECTURE' }, ...newest }),
    db.resource.findFirst({ where: { ...live, kind: 'MODEL' }, ...newest }),
    db.task.findFirst({ where: live, ...newest }),
    // The newest run of a live task, with its task: MLW's /tasks/{taskID}/task/{subTaskID} needs the pair.
    db.execution.findFirst({
      where: { projectId: project.id, task: { deletedAt: null } },
      orderBy: { id: 'desc' },
      select: { id: true, taskId: true },
    }),
    db.learnBlock.findFirst({
      where: { projectId: project.id },
      orderBy: { id: 'desc' },
      select: { id: true, blockId: true },
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
          datasetId: dataset?.id,
          architectureId: architecture?.id,
          modelId: model?.id,
          taskId: execution?.taskId ?? task?.id,
          executionId: execution?.id,
          learnBlockId: learnBlock ? (learnBlock.blockId ?? learnBlock.id) : undefined,
        }}
      />
    </>
  );
}
