'use server';
import { revalidatePath } from 'next/cache';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { DomainError, services } from '@trainhub/api';
import type { Hyperparameters, TeamRole } from '@trainhub/db';
import { act, field, intField, type ActionState } from '@/server/actions-util';
import { getDb, restDeps } from '@/server/deps';
import { webEnv } from '@/server/config';
import { requireUser, TEAM_COOKIE } from '@/server/request-context';

const ROLES: TeamRole[] = ['OWNER', 'ADMIN', 'EDITOR', 'VIEWER'];
function roleField(value: string): TeamRole {
  const role = value.toUpperCase() as TeamRole;
  if (!ROLES.includes(role)) throw new DomainError('INVALID', 'choose a role');
  return role;
}

async function chooseTeam(teamId: number) {
  (await cookies()).set(TEAM_COOKIE, String(teamId), { path: '/', sameSite: 'lax', httpOnly: true });
}

// ------------------------------------------------------------------ accounts

export async function signUpAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  return act(async () => {
    if (field(formData, 'password') !== field(formData, 'confirm'))
      throw new DomainError('INVALID', 'the two passwords differ');
    await services.signUp(
      getDb(),
      {
        email: field(formData, 'email'),
        password: field(formData, 'password'),
        name: field(formData, 'name'),
        inviteToken: field(formData, 'invite') || null,
      },
      { allowOpenSignup: webEnv().auth.allowSignup },
    );
    // No cookie is set here (that would re-render the sign-up page): an invited user has one team anyway.
    return { ok: true };
  });
}

export async function changePasswordAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  const principal = await requireUser();
  return act(async () => {
    if (field(formData, 'password') !== field(formData, 'confirm'))
      throw new DomainError('INVALID', 'the two new passwords differ');
    await services.changePassword(
      getDb(),
      principal.userId,
      field(formData, 'current'),
      field(formData, 'password'),
    );
    // Every session signed in before the change has ended, this one too: sign in with the new password.
    redirect('/signin?changed=1');
  });
}

export async function acceptInviteAction(token: string): Promise<ActionState> {
  const principal = await requireUser();
  const result = await act(async () => {
    const offer = await services.acceptInvite(getDb(), principal.userId, token);
    await chooseTeam(offer.teamId);
  });
  if (result.error) return result;
  redirect('/projects');
}

// ------------------------------------------------------------------ teams

export async function switchTeamAction(teamId: number) {
  const principal = await requireUser();
  if (principal.memberships.some((m) => m.teamId === teamId)) await chooseTeam(teamId);
  revalidatePath('/', 'layout');
}

export async function createTeamAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  const principal = await requireUser();
  const result = await act(async () => {
    const team = await services.createTeam(getDb(), principal, field(formData, 'name'));
    await chooseTeam(team.id);
  });
  if (result.error) return result;
  redirect('/projects');
}

export async function renameTeamAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  const principal = await requireUser();
  return act(async () => {
    await services.renameTeam(getDb(), principal, intField(formData, 'teamId'), field(formData, 'name'));
    revalidatePath('/', 'layout');
    return { ok: true, message: 'Team renamed.' };
  });
}

export async function setMemberRoleAction(
  teamId: number,
  userId: string,
  role: string,
): Promise<ActionState> {
  const principal = await requireUser();
  return act(async () => {
    await services.setMemberRole(getDb(), principal, teamId, userId, roleField(role));
    revalidatePath('/team');
  });
}

export async function removeMemberAction(teamId: number, userId: string): Promise<ActionState> {
  const principal = await requireUser();
  return act(async () => {
    await services.removeMember(getDb(), principal, teamId, userId);
    revalidatePath('/team');
  });
}

/** Runs a change that takes the user out of the current team (leaving it, deleting it), then shows the projects of another. */
async function leaveCurrentTeam(change: () => Promise<unknown>): Promise<ActionState> {
  const result = await act(async () => {
    await change();
    (await cookies()).delete(TEAM_COOKIE);
  });
  if (result.error) return result;
  revalidatePath('/', 'layout');
  redirect('/projects');
}

export async function leaveTeamAction(teamId: number): Promise<ActionState> {
  const principal = await requireUser();
  return leaveCurrentTeam(() => services.leaveTeam(getDb(), principal, teamId));
}

export async function deleteTeamAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  const principal = await requireUser();
  return leaveCurrentTeam(() =>
    services.deleteTeam(restDeps(), principal, intField(formData, 'teamId'), field(formData, 'confirm')),
  );
}

export async function createInviteAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  const principal = await requireUser();
  return act(async () => {
    const { token } = await services.createInvite(
      getDb(),
      principal,
      intField(formData, 'teamId'),
      roleField(field(formData, 'role')),
    );
    revalidatePath('/team');
    return { ok: true, secret: `/invite/${token}` };
  });
}

export async function revokeInviteAction(teamId: number, inviteId: number): Promise<ActionState> {
  const principal = await requireUser();
  return act(async () => {
    await services.revokeInvite(getDb(), principal, teamId, inviteId);
    revalidatePath('/team');
  });
}

export async function createApiKeyAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  const principal = await requireUser();
  return act(async () => {
    const role = roleField(field(formData, 'role'));
    if (role === 'OWNER') throw new DomainError('INVALID', 'an API key cannot be an owner');
    const name = field(formData, 'name').trim();
    if (!name) throw new DomainError('INVALID', 'give the key a name');
    const projectRaw = field(formData, 'projectId');
    const created = await services.createTeamApiKey(getDb(), principal, {
      teamId: intField(formData, 'teamId'),
      name: name.slice(0, 100),
      role,
      projectId: projectRaw ? intField(formData, 'projectId') : null,
    });
    revalidatePath('/team');
    return { ok: true, secret: created.key };
  });
}

export async function revokeApiKeyAction(teamId: number, keyId: number): Promise<ActionState> {
  const principal = await requireUser();
  return act(async () => {
    await services.revokeApiKey(getDb(), principal, teamId, keyId);
    revalidatePath('/team');
  });
}

// ------------------------------------------------------------------ projects and resources

export async function createProjectAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  const principal = await requireUser();
  let id = 0;
  const result = await act(async () => {
    const project = await services.createProject(getDb(), principal, {
      name: field(formData, 'name').slice(0, 200),
      description: field(formData, 'description').trim().slice(0, 2000) || null,
      teamId: intField(formData, 'teamId'),
    });
    id = project.id;
  });
  if (result.error) return result;
  redirect(`/projects/${id}`);
}

export async function renameProjectAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  const principal = await requireUser();
  return act(async () => {
    const id = intField(formData, 'projectId');
    await services.updateProject(getDb(), principal, id, {
      name: field(formData, 'name').slice(0, 200),
      description: field(formData, 'description').trim().slice(0, 2000) || null,
    });
    revalidatePath(`/projects/${id}`, 'layout');
    return { ok: true, message: 'Saved.' };
  });
}

export async function deleteProjectAction(projectId: number): Promise<ActionState> {
  const principal = await requireUser();
  const result = await act(async () => {
    await services.deleteProject(getDb(), principal, projectId);
  });
  if (result.error) return result;
  redirect('/projects');
}

export async function deleteResourceAction(projectId: number, resourceId: number): Promise<ActionState> {
  const principal = await requireUser();
  return act(async () => {
    await services.deleteResource(restDeps(), principal, projectId, resourceId);
    revalidatePath(`/projects/${projectId}`);
  });
}

/** Saves the architecture editor's spec as an `.architecture` resource. */
export async function saveArchitectureAction(
  projectId: number,
  name: string,
  spec: unknown,
): Promise<ActionState & { resourceId?: number }> {
  const principal = await requireUser();
  let resourceId: number | undefined;
  const result = await act(async () => {
    const clean = name.trim().replace(/\.architecture$/i, '');
    if (!clean) throw new DomainError('INVALID', 'give the architecture a name');
    if (typeof spec !== 'object' || spec === null)
      throw new DomainError('INVALID', 'the architecture is empty');
    const body = Buffer.from(JSON.stringify(spec, null, 2));
    if (body.length > 1024 * 1024) throw new DomainError('INVALID', 'the architecture is too large');
    const resource = await services.uploadResource(restDeps(), principal, projectId, {
      name: `${clean}.architecture`,
      contentType: 'application/json',
      body,
      kind: 'ARCHITECTURE',
    });
    resourceId = resource.id;
    revalidatePath(`/projects/${projectId}`, 'layout');
    return { ok: true, message: `Saved as ${resource.name}.` };
  });
  return { ...result, resourceId };
}

// ------------------------------------------------------------------ training

function numberField(formData: FormData, name: string, label: string, opts: { int?: boolean } = {}) {
  const raw = field(formData, name).trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || (opts.int && !Number.isInteger(value)))
    throw new DomainError('INVALID', `${label} must be ${opts.int ? 'a whole number' : 'a number'}`);
  return value;
}

/** "16, 8 relu" style hidden layers of the simple mode. */
function simpleLayers(text: string) {
  const layers = text
    .split(/[,\n]/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [unitsRaw, activation = 'relu'] = part.split(/\s+/);
      const units = Number(unitsRaw);
      if (!Number.isInteger(units) || units < 1 || units > 100_000)
        throw new DomainError('INVALID', `hidden layer "${part}": write the number of units, e.g. 16`);
      return { type: 'dense', units, activation };
    });
  if (layers.length === 0) throw new DomainError('INVALID', 'list at least one hidden layer, e.g. 16, 8');
  return layers;
}

export async function startTrainingAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  const principal = await requireUser();
  const projectId = Number(field(formData, 'projectId'));
  let target = '';
  const result = await act(async () => {
    const datasetResourceId = intField(formData, 'datasetResourceId');
    const problemType = field(formData, 'problemType');
    if (problemType !== 'classification' && problemType !== 'binary' && problemType !== 'regression')
      throw new DomainError('INVALID', 'choose a problem type');
    const epochs = numberField(formData, 'epochs', 'Epochs', { int: true });
    const batchSize = numberField(formData, 'batchSize', 'Batch size', { int: true });
    if (!epochs || epochs < 1) throw new DomainError('INVALID', 'epochs must be at least 1');
    if (!batchSize || batchSize < 1) throw new DomainError('INVALID', 'batch size must be at least 1');
    const learningRate = numberField(formData, 'learningRate', 'Learning rate');
    if (learningRate !== undefined && !(learningRate > 0))
      throw new DomainError('INVALID', 'the learning rate must be greater than 0, e.g. 0.001');
    const testSize = numberField(formData, 'testSize', 'Validation split');
    if (testSize !== undefined && (testSize <= 0 || testSize >= 1))
      throw new DomainError('INVALID', 'the validation split is a fraction between 0 and 1, e.g. 0.2');
    const seed = numberField(formData, 'seed', 'Seed', { int: true });
    const patience = numberField(formData, 'patience', 'Early-stopping patience', { int: true });
    const hyperparameters: Hyperparameters = {
      epochs,
      batchSize,
      ...(learningRate !== undefined ? { learningRate } : {}),
      ...(field(formData, 'optimizer') ? { optimizer: field(formData, 'optimizer') } : {}),
      ...(testSize !== undefined ? { testSize } : {}),
      shuffle: field(formData, 'shuffle') === 'on',
      ...(seed !== undefined ? { seed } : {}),
      ...(patience !== undefined ? { earlyStopping: { monitor: 'val_loss', patience } } : {}),
      ...(field(formData, 'classWeights') === 'on' ? { classWeights: true } : {}),
    };

    const when = field(formData, 'when');
    let schedule:
      | { kind: 'ONE_TIME'; startAt?: Date | null }
      | { kind: 'CRON'; cronExpression: string; timezone: string };
    if (when === 'cron') {
      const cronExpression = field(formData, 'cron').trim();
      if (!cronExpression) throw new DomainError('INVALID', 'write a cron expression, e.g. 0 3 * * *');
      schedule = { kind: 'CRON', cronExpression, timezone: field(formData, 'timezone').trim() || 'UTC' };
    } else if (when === 'at') {
      const raw = field(formData, 'startAt');
      const offset = Number(field(formData, 'tzOffset') || '0');
      // datetime-local has no zone: the browser sends its offset (minutes, as getTimezoneOffset()).
      const local = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(raw) ? Date.parse(`${raw}:00Z`) : NaN;
      if (!Number.isFinite(local)) throw new DomainError('INVALID', 'pick a date and time to start');
      schedule = {
        kind: 'ONE_TIME',
        startAt: new Date(local + (Number.isFinite(offset) ? offset : 0) * 60_000),
      };
    } else {
      schedule = { kind: 'ONE_TIME' };
    }

    const name = field(formData, 'name').trim();
    if (!name) throw new DomainError('INVALID', 'give the model a name (letters or digits, not only spaces)');
    const scaling = field(formData, 'scaling');
    const codeRaw = field(formData, 'codeResourceId');
    const labelColumn = field(formData, 'labelColumn').trim();
    const mode = field(formData, 'architectureMode');
    const codeResourceId = codeRaw ? intField(formData, 'codeResourceId') : null;
    let spec: unknown;
    let architectureResourceId: number | null = null;
    if (mode === 'resource') {
      // The architecture file's JSON is copied into the task (as the MLW style does), so later edits of the
      // file do not change a queued or scheduled training.
      architectureResourceId = intField(formData, 'architectureResourceId');
      const { resource, bytes } = await services.readResource(
        restDeps(),
        principal,
        projectId,
        architectureResourceId,
      );
      if (resource.kind !== 'ARCHITECTURE')
        throw new DomainError('INVALID', `${resource.name} is not an architecture file`);
      let architecture: unknown;
      try {
        architecture = JSON.parse(bytes.toString('utf8'));
      } catch {
        throw new DomainError('INVALID', `the architecture file ${resource.name} is not valid JSON`);
      }
      spec = { format: 'mlw-architecture', architecture };
    } else {
      spec = { format: 'trainhub.architecture', version: 1, layers: simpleLayers(field(formData, 'layers')) };
    }
    const created = await services.createTraining(getDb(), principal, {
      projectId,
      name,
      source: 'web',
      definition: {
        version: 1,
        problemType,
        spec,
        datasetResourceId,
        ...(scaling && scaling !== 'none' && !codeResourceId ? { preprocessing: { scaling } } : {}),
        ...(labelColumn ? { labelColumns: [labelColumn] } : {}),
        modelName: name,
      },
      hyperparameters,
      architectureResourceId,
      codeResourceId,
      schedule,
    });
    target = created.execution
      ? `/projects/${projectId}/executions/${created.execution.id}`
      : `/projects/${projectId}/schedules`;
  });
  if (result.error) return result;
  redirect(target);
}

export async function stopExecutionAction(
  executionId: number,
  kind: 'STOP' | 'CANCEL',
): Promise<ActionState> {
  const principal = await requireUser();
  return act(async () => {
    await services.requestStop(getDb(), principal, executionId, kind);
    return { ok: true, message: kind === 'STOP' ? 'Stopping after the current batch…' : 'Cancelling…' };
  });
}

export async function rerunTaskAction(projectId: number, taskId: number): Promise<ActionState> {
  const principal = await requireUser();
  let id = 0;
  const result = await act(async () => {
    id = (await services.rerunTask(getDb(), principal, taskId)).id;
  });
  if (result.error) return result;
  redirect(`/projects/${projectId}/executions/${id}`);
}

export async function setScheduleEnabledAction(projectId: number, taskId: number, enabled: boolean) {
  const principal = await requireUser();
  return act(async () => {
    await services.setScheduleEnabled(getDb(), principal, taskId, enabled);
    revalidatePath(`/projects/${projectId}/schedules`);
  });
}

export async function deleteTaskAction(projectId: number, taskId: number): Promise<ActionState> {
  const principal = await requireUser();
  return act(async () => {
    await services.deleteTask(getDb(), principal, taskId);
    revalidatePath(`/projects/${projectId}`, 'layout');
  });
}
