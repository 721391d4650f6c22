'use client';
import { Plus, Trash2 } from 'lucide-react';
import { useActionState, useState, useTransition } from 'react';
import {
  createProjectAction,
  createTeamAction,
  deleteProjectAction,
  deleteResourceAction,
  deleteTaskAction,
  renameProjectAction,
} from '@/actions';
import { Button } from '@/components/ui/button';
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
  DialogTrigger,
} from '@/components/ui/dialog';
import { Input, Textarea } from '@/components/ui/input';
import { Field } from '@/components/ui/field';
import { FormError } from '@/components/ui/misc';

export function CreateTeamForm() {
  const [state, action, pending] = useActionState(createTeamAction, {});
  return (
    <form action={action} className="flex flex-col gap-3 sm:flex-row sm:items-end" aria-label="Create team">
      <Field id="team-name" label="Team name" className="flex-1">
        <Input
          id="team-name"
          name="name"
          required
          pattern=".*\S.*"
          title="Write a name with at least one letter or digit."
          maxLength={100}
          placeholder="e.g. Vision lab"
        />
      </Field>
      <Button type="submit" disabled={pending}>
        {pending ? 'Creating…' : 'Create team'}
      </Button>
      <FormError message={state.error} />
    </form>
  );
}

export function CreateProjectDialog({ teamId }: { teamId: number }) {
  const [state, action, pending] = useActionState(createProjectAction, {});
  return (
    <Dialog>
      <DialogTrigger asChild>
        <Button>
          <Plus /> New project
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>New project</DialogTitle>
          <DialogDescription>
            A project holds datasets, architectures, trainings and models.
          </DialogDescription>
        </DialogHeader>
        <form action={action} className="flex flex-col gap-4">
          <input type="hidden" name="teamId" value={teamId} />
          <Field id="project-name" label="Name">
            <Input
              id="project-name"
              name="name"
              required
              pattern=".*\S.*"
              title="Write a name with at least one letter or digit."
              maxLength={200}
              autoFocus
            />
          </Field>
          <Field id="project-description" label="Description (optional)">
            <Textarea id="project-description" name="description" maxLength={2000} />
          </Field>
          <FormError message={state.error} />
          <DialogFooter>
            <Button type="submit" disabled={pending}>
              {pending ? 'Creating…' : 'Create project'}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}

export function RenameProjectForm({
  projectId,
  name,
  description,
}: {
  projectId: number;
  name: string;
  description: string | null;
}) {
  const [state, action, pending] = useActionState(renameProjectAction, {});
  return (
    <form action={action} className="flex flex-col gap-3" aria-label="Project settings">
      <input type="hidden" name="projectId" value={projectId} />
      <Field id="rename-project" label="Name">
        <Input
          id="rename-project"
          name="name"
          defaultValue={name}
          required
          pattern=".*\S.*"
          title="Write a name with at least one letter or digit."
          maxLength={200}
        />
      </Field>
      <Field id="rename-description" label="Description">
        <Textarea
          id="rename-description"
          name="description"
          defaultValue={description ?? ''}
          maxLength={2000}
        />
      </Field>
      <div className="flex items-center gap-3">
        <Button type="submit" variant="outline" disabled={pending}>
          {pending ? 'Saving…' : 'Save'}
        </Button>
        {state.message ? <span className="text-sm text-emerald-600">{state.message}</span> : null}
      </div>
      <FormError message={state.error} />
    </form>
  );
}

/** A destructive action behind a confirmation dialog. */
export function ConfirmButton({
  label,
  title,
  description,
  confirmLabel,
  onConfirm,
  size = 'default',
  iconOnly = false,
}: {
  label: string;
  title: string;
  description: string;
  confirmLabel: string;
  onConfirm: () => Promise<{ error?: string } | void>;
  size?: 'default' | 'sm' | 'icon';
  iconOnly?: boolean;
}) {
  const [open, setOpen] = useState(false);
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button variant={iconOnly ? 'ghost' : 'destructive'} size={size} aria-label={label}>
          <Trash2 />
          {iconOnly ? null : label}
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>{title}</DialogTitle>
          <DialogDescription>{description}</DialogDescription>
        </DialogHeader>
        <FormError message={error} />
        <DialogFooter>
          <Button variant="outline" onClick={() => setOpen(false)}>
            Keep it
          </Button>
          <Button
            variant="destructive"
            disabled={pending}
            onClick={() =>
              start(async () => {
                const result = await onConfirm();
                if (result?.error) setError(result.error);
                else setOpen(false);
              })
            }
          >
            {pending ? 'Working…' : confirmLabel}
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}

export function DeleteProjectButton({ projectId, name }: { projectId: number; name: string }) {
  return (
    <ConfirmButton
      label="Delete project"
      title={`Delete ${name}?`}
      description="The project, its files and its trainings disappear for everyone in the team. Queued trainings are cancelled."
      confirmLabel="Delete project"
      onConfirm={() => deleteProjectAction(projectId)}
    />
  );
}

export function DeleteResourceButton({
  projectId,
  resourceId,
  name,
}: {
  projectId: number;
  resourceId: number;
  name: string;
}) {
  return (
    <ConfirmButton
      label={`Delete ${name}`}
      title={`Delete ${name}?`}
      description="The file is removed from the project. Trainings that used it keep their history."
      confirmLabel="Delete file"
      size="icon"
      iconOnly
      onConfirm={() => deleteResourceAction(projectId, resourceId)}
    />
  );
}

export function DeleteTaskButton({
  projectId,
  taskId,
  name,
}: {
  projectId: number;
  taskId: number;
  name: string;
}) {
  return (
    <ConfirmButton
      label={`Delete ${name}`}
      title={`Delete ${name}?`}
      description="The schedule stops; queued runs are cancelled and a running one is asked to cancel. Finished runs stay visible in other styles' history until deleted there."
      confirmLabel="Delete training"
      size="icon"
      iconOnly
      onConfirm={() => deleteTaskAction(projectId, taskId)}
    />
  );
}
