'use client';
import { useMutation } from '@tanstack/react-query';
import { Plus, Trash2 } from 'lucide-react';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { createProjectInput, createTeamInput, updateProjectInput } from '@trainhub/api/inputs';
import { switchTeamAction } from '@/actions';
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
import { attempt, text, useSchemaForm } from '@/trpc/form';
import { useTRPC } from '@/trpc/react';

export function CreateTeamForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const create = useMutation(
    trpc.teams.create.mutationOptions({
      onSuccess: async (team) => {
        // The new team becomes the one the UI works in (a cookie of the UI, not a service).
        await switchTeamAction(team.id);
        router.push('/projects');
      },
    }),
  );
  const form = useSchemaForm(createTeamInput, create, (data) => ({ name: text(data, 'name') }), ['name']);
  return (
    <form
      onSubmit={form.onSubmit}
      className="flex flex-col gap-3 sm:flex-row sm:items-end"
      aria-label="Create team"
    >
      <Field id="team-name" label="Team name" className="flex-1" error={form.fieldError('name')}>
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
      <Button type="submit" disabled={form.pending}>
        {form.pending ? 'Creating…' : 'Create team'}
      </Button>
      <FormError message={form.formError} />
    </form>
  );
}

export function CreateProjectDialog({ teamId }: { teamId: number }) {
  const trpc = useTRPC();
  const router = useRouter();
  const create = useMutation(
    trpc.projects.create.mutationOptions({
      onSuccess: (project) => router.push(`/projects/${project.id}`),
    }),
  );
  const form = useSchemaForm(
    createProjectInput,
    create,
    (data) => ({
      teamId,
      name: text(data, 'name'),
      description: text(data, 'description').trim() || null,
    }),
    ['name', 'description'],
  );
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
        <form onSubmit={form.onSubmit} className="flex flex-col gap-4">
          <Field id="project-name" label="Name" error={form.fieldError('name')}>
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
          <Field
            id="project-description"
            label="Description (optional)"
            error={form.fieldError('description')}
          >
            <Textarea id="project-description" name="description" maxLength={2000} />
          </Field>
          <FormError message={form.formError} />
          <DialogFooter>
            <Button type="submit" disabled={form.pending}>
              {form.pending ? 'Creating…' : 'Create project'}
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
  const trpc = useTRPC();
  const router = useRouter();
  const update = useMutation(trpc.projects.update.mutationOptions({ onSuccess: () => router.refresh() }));
  const form = useSchemaForm(
    updateProjectInput,
    update,
    (data) => ({
      projectId,
      name: text(data, 'name'),
      description: text(data, 'description').trim() || null,
    }),
    ['name', 'description'],
  );
  return (
    <form onSubmit={form.onSubmit} className="flex flex-col gap-3" aria-label="Project settings">
      <Field id="rename-project" label="Name" error={form.fieldError('name')}>
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
      <Field id="rename-description" label="Description" error={form.fieldError('description')}>
        <Textarea
          id="rename-description"
          name="description"
          defaultValue={description ?? ''}
          maxLength={2000}
        />
      </Field>
      <div className="flex items-center gap-3">
        <Button type="submit" variant="outline" disabled={form.pending}>
          {form.pending ? 'Saving…' : 'Save'}
        </Button>
        {update.isSuccess ? <span className="text-sm text-emerald-600">Saved.</span> : null}
      </div>
      <FormError message={form.formError} />
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
  const trpc = useTRPC();
  const router = useRouter();
  const remove = useMutation(trpc.projects.delete.mutationOptions());
  return (
    <ConfirmButton
      label="Delete project"
      title={`Delete ${name}?`}
      description="The project, its files and its trainings disappear for everyone in the team. Queued trainings are cancelled."
      confirmLabel="Delete project"
      onConfirm={() =>
        attempt(async () => {
          await remove.mutateAsync({ projectId });
          router.push('/projects');
        })
      }
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
  const trpc = useTRPC();
  const router = useRouter();
  const remove = useMutation(trpc.resources.delete.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <ConfirmButton
      label={`Delete ${name}`}
      title={`Delete ${name}?`}
      description="The file is removed from the project. Trainings that used it keep their history."
      confirmLabel="Delete file"
      size="icon"
      iconOnly
      onConfirm={() => attempt(() => remove.mutateAsync({ projectId, resourceId }))}
    />
  );
}

export function DeleteTaskButton({ taskId, name }: { taskId: number; name: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const remove = useMutation(trpc.tasks.delete.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <ConfirmButton
      label={`Delete ${name}`}
      title={`Delete ${name}?`}
      description="The schedule stops; queued runs are cancelled and a running one is asked to cancel. Finished runs stay visible in other styles' history until deleted there."
      confirmLabel="Delete training"
      size="icon"
      iconOnly
      onConfirm={() => attempt(() => remove.mutateAsync({ taskId }))}
    />
  );
}
