import Link from 'next/link';
import { CreateProjectDialog, CreateTeamForm } from '@/components/project/forms';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { EmptyState, PageHeader } from '@/components/ui/misc';
import { can, formatDate } from '@/lib/utils';
import { currentTeam } from '@/server/request-context';
import { api } from '@/trpc/server';

export const metadata = { title: 'Projects · Trainhub' };

export default async function ProjectsPage() {
  const { team } = await currentTeam();
  if (!team) {
    return (
      <>
        <PageHeader
          title="Welcome to Trainhub"
          description="Everything lives in a team. Create yours to start."
        />
        <Card className="max-w-xl">
          <CardContent className="pt-5">
            <CreateTeamForm />
          </CardContent>
        </Card>
      </>
    );
  }
  const projects = (await (await api()).projects.list()).filter((p) => p.teamId === team.id);
  const canCreate = can(team.role, 'EDITOR');
  return (
    <>
      <PageHeader
        title="Projects"
        description={`In ${team.name}`}
        actions={canCreate ? <CreateProjectDialog teamId={team.id} /> : null}
      />
      {projects.length === 0 ? (
        <EmptyState title="No projects yet" testId="projects-empty">
          {canCreate
            ? 'Create a project, upload a CSV dataset into it and train a model on it.'
            : 'Nobody in this team has created a project yet; as a viewer you cannot create one.'}
        </EmptyState>
      ) : (
        <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3" aria-label="Projects">
          {projects.map((p) => {
            const count = (kind: string) => p.resources.filter((r) => r.kind === kind).length;
            return (
              <li key={p.id}>
                <Link href={`/projects/${p.id}`} className="block focus-visible:outline-none">
                  <Card className="h-full transition-shadow hover:shadow-md focus-within:ring-2">
                    <CardHeader>
                      <CardTitle className="truncate">{p.name}</CardTitle>
                      <CardDescription className="line-clamp-2">
                        {p.description || 'No description'}
                      </CardDescription>
                    </CardHeader>
                    <CardContent className="text-xs text-slate-500">
                      {count('DATASET')} datasets · {count('ARCHITECTURE')} architectures · {count('MODEL')}{' '}
                      models
                      <br />
                      Created {formatDate(p.createdAt)}
                    </CardContent>
                  </Card>
                </Link>
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}
