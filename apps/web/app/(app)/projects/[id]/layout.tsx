import Link from 'next/link';
import type { ReactNode } from 'react';
import { ProjectNav } from '@/components/project/project-nav';
import { Badge } from '@/components/ui/badge';
import { can, roleLabel } from '@/lib/utils';
import { projectContext } from '@/server/request-context';

export default async function ProjectLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ id: string }>;
}) {
  const { project, role } = await projectContext((await params).id);
  return (
    <>
      <div className="mb-4 flex flex-wrap items-center gap-2 text-sm text-slate-500">
        <Link href="/projects" className="hover:underline">
          Projects
        </Link>
        <span aria-hidden>/</span>
        <span className="font-medium text-slate-900 dark:text-slate-100" data-testid="project-name">
          {project.name}
        </span>
        <Badge variant="outline" data-testid="my-role">
          {roleLabel(role)}
        </Badge>
      </div>
      <ProjectNav projectId={project.id} canWrite={can(role, 'EDITOR')} />
      {children}
    </>
  );
}
