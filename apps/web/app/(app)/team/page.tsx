import { CreateTeamForm } from '@/components/project/forms';
import {
  ApiKeyForm,
  DeleteTeamForm,
  InviteForm,
  LeaveTeamButton,
  MemberControls,
  RenameTeamForm,
  RevokeButton,
} from '@/components/team/team-forms';
import { Badge } from '@/components/ui/badge';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { PageHeader, Table, Td, Th } from '@/components/ui/misc';
import { can, formatDate, ROLES, roleLabel, type Role } from '@/lib/utils';
import { currentTeam } from '@/server/request-context';
import { api } from '@/trpc/server';

export const metadata = { title: 'Team · Trainhub' };

export default async function TeamPage() {
  const { principal, team } = await currentTeam();
  const createCard = (
    <Card>
      <CardHeader>
        <CardTitle>New team</CardTitle>
        <CardDescription>You become its owner.</CardDescription>
      </CardHeader>
      <CardContent>
        <CreateTeamForm />
      </CardContent>
    </Card>
  );
  if (!team) {
    return (
      <>
        <PageHeader title="Team" description="You are not in a team yet." />
        {createCard}
      </>
    );
  }
  const trpc = await api();
  const role = team.role as Role;
  const isAdmin = can(role, 'ADMIN');
  const rank = ROLES.length - ROLES.indexOf(role);
  const grantable = ROLES.filter((r) => ROLES.length - ROLES.indexOf(r) <= rank);
  const [members, invites, keys, projects] = await Promise.all([
    trpc.members.list({ teamId: team.id }),
    isAdmin ? trpc.invites.list({ teamId: team.id }) : Promise.resolve([]),
    isAdmin ? trpc.apiKeys.list({ teamId: team.id }) : Promise.resolve([]),
    trpc.projects.list(),
  ]);
  const teamProjects = projects.filter((p) => p.teamId === team.id).map((p) => ({ id: p.id, name: p.name }));
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title={team.name}
        description={
          <>
            Your role: <Badge variant="outline">{roleLabel(role)}</Badge>
          </>
        }
      />
      {isAdmin ? (
        <Card>
          <CardHeader>
            <CardTitle>Settings</CardTitle>
          </CardHeader>
          <CardContent>
            <RenameTeamForm teamId={team.id} name={team.name} />
          </CardContent>
        </Card>
      ) : null}
      <Card>
        <CardHeader>
          <CardTitle>Members</CardTitle>
          <CardDescription>Owners and admins manage the team; editors train; viewers look.</CardDescription>
        </CardHeader>
        <CardContent>
          <Table data-testid="members-table">
            <thead>
              <tr>
                <Th>Member</Th>
                <Th>Role</Th>
                <Th className="hidden sm:table-cell">Since</Th>
                {isAdmin ? <Th className="text-right">Manage</Th> : null}
              </tr>
            </thead>
            <tbody>
              {members.map((m) => (
                <tr key={m.id}>
                  <Td>
                    <div className="font-medium">{m.user.name || m.user.email}</div>
                    {m.user.name ? <div className="text-xs text-slate-500">{m.user.email}</div> : null}
                  </Td>
                  <Td>{roleLabel(m.role)}</Td>
                  <Td className="hidden text-slate-500 sm:table-cell">{formatDate(m.createdAt)}</Td>
                  {isAdmin ? (
                    <Td>
                      {m.userId !== principal.userId && (role === 'OWNER' || m.role !== 'OWNER') ? (
                        <MemberControls
                          teamId={team.id}
                          userId={m.userId}
                          role={m.role}
                          roles={grantable}
                          email={m.user.email}
                        />
                      ) : (
                        <span className="block text-right text-xs text-slate-500">
                          {m.userId === principal.userId ? 'you' : 'only an owner can change an owner'}
                        </span>
                      )}
                    </Td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </Table>
        </CardContent>
      </Card>
      {isAdmin ? (
        <>
          <Card>
            <CardHeader>
              <CardTitle>Invite people</CardTitle>
              <CardDescription>Send the link any way you like: there is no mail server.</CardDescription>
            </CardHeader>
            <CardContent className="flex flex-col gap-4">
              <InviteForm teamId={team.id} roles={grantable} />
              {invites.length ? (
                <Table>
                  <thead>
                    <tr>
                      <Th>Pending invite</Th>
                      <Th>Expires</Th>
                      <Th />
                    </tr>
                  </thead>
                  <tbody>
                    {invites.map((i) => (
                      <tr key={i.id}>
                        <Td>{roleLabel(i.role)}</Td>
                        <Td className="text-slate-500">{formatDate(i.expiresAt)}</Td>
                        <Td className="text-right">
                          <RevokeButton kind="invite" teamId={team.id} id={i.id} />
                        </Td>
                      </tr>
                    ))}
                  </tbody>
                </Table>
              ) : null}
            </CardContent>
          </Card>
          <Card>
            <CardHeader>
              <CardTitle>API keys</CardTitle>
              <CardDescription>
                For the MLW, Edge Impulse and training-module APIs and tRPC. Only a hash is stored.
              </CardDescription>
            </CardHeader>
            <CardContent className="flex flex-col gap-4">
              <ApiKeyForm teamId={team.id} roles={grantable} projects={teamProjects} />
              {keys.length ? (
                <Table data-testid="api-keys-table">
                  <thead>
                    <tr>
                      <Th>Name</Th>
                      <Th>Key</Th>
                      <Th>Role</Th>
                      <Th className="hidden md:table-cell">Last used</Th>
                      <Th>State</Th>
                      <Th />
                    </tr>
                  </thead>
                  <tbody>
                    {keys.map((k) => (
                      <tr key={k.id}>
                        <Td className="font-medium">{k.name}</Td>
                        <Td>
                          <code className="text-xs">{k.prefix}…</code>
                        </Td>
                        <Td>
                          {roleLabel(k.role)}
                          {k.projectId ? (
                            <span className="text-xs text-slate-500">
                              {' '}
                              · project {teamProjects.find((p) => p.id === k.projectId)?.name ?? k.projectId}
                            </span>
                          ) : null}
                        </Td>
                        <Td className="hidden text-slate-500 md:table-cell">
                          {k.lastUsedAt ? formatDate(k.lastUsedAt) : 'never'}
                        </Td>
                        <Td>
                          {k.revokedAt ? (
                            <Badge variant="red">revoked</Badge>
                          ) : (
                            <Badge variant="green">active</Badge>
                          )}
                        </Td>
                        <Td className="text-right">
                          {k.revokedAt ? null : (
                            <RevokeButton kind="key" teamId={team.id} id={k.id} name={k.name} />
                          )}
                        </Td>
                      </tr>
                    ))}
                  </tbody>
                </Table>
              ) : null}
            </CardContent>
          </Card>
        </>
      ) : null}
      <Card>
        <CardHeader>
          <CardTitle>Leave this team</CardTitle>
          <CardDescription>
            Its projects stay with the team. The last owner first makes someone else owner.
          </CardDescription>
        </CardHeader>
        <CardContent>
          <LeaveTeamButton teamId={team.id} teamName={team.name} />
        </CardContent>
      </Card>
      {role === 'OWNER' ? (
        <Card>
          <CardHeader>
            <CardTitle>Delete this team</CardTitle>
            <CardDescription>
              Deletes its projects, datasets, models, runs, API keys and invites for good. Stop its running
              trainings first.
            </CardDescription>
          </CardHeader>
          <CardContent>
            <DeleteTeamForm teamId={team.id} teamName={team.name} />
          </CardContent>
        </Card>
      ) : null}
      {createCard}
    </div>
  );
}
