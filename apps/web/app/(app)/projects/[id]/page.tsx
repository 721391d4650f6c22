import { Download, Eye } from 'lucide-react';
import Link from 'next/link';

import { DeleteProjectButton, DeleteResourceButton, RenameProjectForm } from '@/components/project/forms';
import { UploadZone } from '@/components/project/upload';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { EmptyState, Table, Td, Th } from '@/components/ui/misc';
import { can, formatBytes, formatDate } from '@/lib/utils';
import { projectContext } from '@/server/request-context';
import { api } from '@/trpc/server';

const KIND_LABEL: Record<string, string> = {
  DATASET: 'Datasets',
  ARCHITECTURE: 'Architectures',
  CODE: 'Preprocessing code',
  MODEL: 'Trained models',
  CHECKPOINT: 'Checkpoints',
  OTHER: 'Other files',
};

export default async function ProjectPage({ params }: { params: Promise<{ id: string }> }) {
  const { project, role } = await projectContext((await params).id);
  const resources = await (await api()).resources.list({ projectId: project.id });
  const kinds = Object.keys(KIND_LABEL).filter((k) => resources.some((r) => r.kind === k));
  const canWrite = can(role, 'EDITOR');
  const canAdmin = can(role, 'ADMIN');
  return (
    <div className="grid gap-6 lg:grid-cols-[1fr_20rem]">
      <div className="flex min-w-0 flex-col gap-6">
        {canWrite ? (
          <Card>
            <CardHeader>
              <CardTitle>Upload</CardTitle>
              <CardDescription>
                A CSV with a header row: numeric feature columns, the label in the last column.
              </CardDescription>
            </CardHeader>
            <CardContent>
              <UploadZone projectId={project.id} />
            </CardContent>
          </Card>
        ) : null}
        {resources.length === 0 ? (
          <EmptyState title="No files yet" testId="resources-empty">
            {canWrite
              ? 'Upload a CSV dataset above, then build an architecture and start a training.'
              : 'Nobody has uploaded a file yet.'}
          </EmptyState>
        ) : (
          kinds.map((kind) => (
            <section key={kind} aria-labelledby={`kind-${kind}`}>
              <h2 id={`kind-${kind}`} className="mb-2 font-semibold">
                {KIND_LABEL[kind]}
              </h2>
              <Table data-testid={`resources-${kind.toLowerCase()}`}>
                <thead>
                  <tr>
                    <Th>Name</Th>
                    <Th className="hidden sm:table-cell">Size</Th>
                    <Th className="hidden md:table-cell">Added</Th>
                    <Th className="text-right">
                      <span className="sr-only">Actions</span>
                    </Th>
                  </tr>
                </thead>
                <tbody>
                  {resources
                    .filter((r) => r.kind === kind)
                    .map((r) => (
                      <tr key={r.id} data-testid="resource-row">
                        <Td className="max-w-[14rem] truncate font-medium">
                          <Link
                            href={`/projects/${project.id}/resources/${r.id}`}
                            className="hover:underline"
                          >
                            {r.name}
                          </Link>
                        </Td>
                        <Td className="hidden sm:table-cell">{formatBytes(r.size)}</Td>
                        <Td className="hidden text-slate-500 md:table-cell">{formatDate(r.createdAt)}</Td>
                        <Td className="text-right whitespace-nowrap">
                          <Button asChild variant="ghost" size="icon">
                            <Link
                              href={`/projects/${project.id}/resources/${r.id}`}
                              aria-label={`Preview ${r.name}`}
                            >
                              <Eye />
                            </Link>
                          </Button>
                          <Button asChild variant="ghost" size="icon">
                            <a
                              href={`/api/ui/projects/${project.id}/resources/${r.id}`}
                              aria-label={`Download ${r.name}`}
                              download
                            >
                              <Download />
                            </a>
                          </Button>
                          {canAdmin ? (
                            <DeleteResourceButton projectId={project.id} resourceId={r.id} name={r.name} />
                          ) : null}
                        </Td>
                      </tr>
                    ))}
                </tbody>
              </Table>
            </section>
          ))
        )}
      </div>
      <aside className="flex flex-col gap-6">
        <Card>
          <CardHeader>
            <CardTitle>About</CardTitle>
            <CardDescription>{project.description || 'No description.'}</CardDescription>
          </CardHeader>
          <CardContent className="flex flex-col gap-2 text-sm">
            <div>
              Project id <Badge variant="outline">{project.id}</Badge>
            </div>
            <div className="text-slate-500">Created {formatDate(project.createdAt)}</div>
          </CardContent>
        </Card>
        {canWrite ? (
          <Card>
            <CardHeader>
              <CardTitle>Settings</CardTitle>
            </CardHeader>
            <CardContent className="flex flex-col gap-6">
              <RenameProjectForm
                projectId={project.id}
                name={project.name}
                description={project.description}
              />
              {canAdmin ? <DeleteProjectButton projectId={project.id} name={project.name} /> : null}
            </CardContent>
          </Card>
        ) : null}
      </aside>
    </div>
  );
}
