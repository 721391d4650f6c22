import { services } from '@trainhub/api';
import { ExecutionView } from '@/components/train/execution-view';
import { can } from '@/lib/utils';
import { getDb } from '@/server/db';
import { executionProgress } from '@/server/execution-progress';
import { orNotFound, parseId, projectContext } from '@/server/session';

export default async function ExecutionPage({ params }: { params: Promise<{ id: string; eid: string }> }) {
  const p = await params;
  const { principal, project, role } = await projectContext(p.id);
  const db = getDb();
  const execution = await orNotFound(
    services.getExecution(db, principal, parseId(p.eid), { projectId: project.id }),
  );
  const [task, initial] = await Promise.all([
    db.task.findUniqueOrThrow({ where: { id: execution.taskId }, select: { name: true } }),
    executionProgress(execution),
  ]);
  return (
    <ExecutionView
      projectId={project.id}
      taskName={task.name}
      canWrite={can(role, 'EDITOR')}
      initial={initial}
    />
  );
}
