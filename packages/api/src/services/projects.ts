import type { Db } from '@trainhub/db';
import { projectScope, type Principal } from '../auth/principal';
import { defaultTeamFor, requireProject } from './access';
import { DomainError } from './errors';

export interface ProjectInput {
  name: string;
  description?: string | null;
  teamId?: number;
}

export function listProjects(db: Db, principal: Principal) {
  return db.project.findMany({
    where: projectScope(principal),
    include: { resources: { where: { deletedAt: null }, select: { id: true, kind: true } } },
    orderBy: { id: 'desc' },
    take: 1000,
  });
}

export async function getProject(db: Db, principal: Principal, projectId: number) {
  const project = await requireProject(db, principal, projectId, 'VIEWER');
  const resources = await db.resource.findMany({
    where: { projectId, deletedAt: null },
    select: { id: true, kind: true },
  });
  return { ...project, resources };
}

export async function createProject(db: Db, principal: Principal, input: ProjectInput) {
  const name = input.name.trim();
  if (!name) throw new DomainError('INVALID', 'a project needs a name');
  const teamId = defaultTeamFor(principal, 'EDITOR', input.teamId);
  return db.project.create({ data: { teamId, name, description: input.description ?? null } });
}

export async function updateProject(
  db: Db,
  principal: Principal,
  projectId: number,
  input: { name?: string; description?: string | null },
) {
  await requireProject(db, principal, projectId, 'EDITOR');
  if (input.name !== undefined && !input.name.trim())
    throw new DomainError('INVALID', 'a project needs a name');
  return db.project.update({
    where: { id: projectId },
    data: {
      ...(input.name !== undefined ? { name: input.name.trim() } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
    },
  });
}

/** Soft delete: the project disappears from every style; its queued runs are cancelled. */
export async function deleteProject(db: Db, principal: Principal, projectId: number) {
  const project = await requireProject(db, principal, projectId, 'ADMIN');
  const now = new Date();
  await db.$transaction([
    db.project.update({ where: { id: projectId }, data: { deletedAt: now } }),
    db.execution.updateMany({
      where: { projectId, status: 'QUEUED' },
      data: { status: 'CANCELLED', finishedAt: now, message: 'project deleted' },
    }),
    db.execution.updateMany({ where: { projectId, status: 'RUNNING' }, data: { stopRequest: 'CANCEL' } }),
  ]);
  return project;
}
