'use client';
import { useMutation } from '@tanstack/react-query';
import { Check, Copy } from 'lucide-react';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { createApiKeyInput, createInviteInput, deleteTeamInput, renameTeamInput } from '@trainhub/api/inputs';
import { Button } from '@/components/ui/button';
import { Input, NativeSelect } from '@/components/ui/input';
import { Field } from '@/components/ui/field';
import { FormError } from '@/components/ui/misc';
import { roleLabel } from '@/lib/utils';
import { attempt, num, text, useSchemaForm } from '@/trpc/form';
import { useTRPC } from '@/trpc/react';

export function CopyField({ value, label, testId }: { value: string; label: string; testId?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="flex flex-col gap-1 rounded-lg border border-amber-300 bg-amber-50 p-3 dark:border-amber-800 dark:bg-amber-950">
      <span className="text-xs font-medium">{label}</span>
      <div className="flex gap-2">
        <Input
          readOnly
          value={value}
          data-testid={testId}
          className="font-mono text-xs"
          onFocus={(e) => e.target.select()}
          aria-label={label}
        />
        <Button
          type="button"
          variant="outline"
          size="icon"
          aria-label="Copy"
          onClick={() =>
            void navigator.clipboard?.writeText(value).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? <Check /> : <Copy />}
        </Button>
      </div>
    </div>
  );
}

/** The mutation's result refreshes the page's server data (the team's name, members, keys...). */
function useRefreshing() {
  const router = useRouter();
  return { onSuccess: () => router.refresh() };
}

export function RenameTeamForm({ teamId, name }: { teamId: number; name: string }) {
  const trpc = useTRPC();
  const rename = useMutation(trpc.teams.rename.mutationOptions(useRefreshing()));
  const form = useSchemaForm(renameTeamInput, rename, (data) => ({ teamId, name: text(data, 'name') }), [
    'name',
  ]);
  return (
    <form
      onSubmit={form.onSubmit}
      className="flex flex-col gap-2 sm:flex-row sm:items-end"
      aria-label="Rename team"
    >
      <Field id="team-rename" label="Current name" className="flex-1" error={form.fieldError('name')}>
        <Input
          id="team-rename"
          name="name"
          defaultValue={name}
          required
          pattern=".*\S.*"
          title="Write a name with at least one letter or digit."
          maxLength={100}
        />
      </Field>
      <Button type="submit" variant="outline" disabled={form.pending}>
        Rename
      </Button>
      <FormError message={form.formError} />
      {rename.isSuccess ? <span className="text-sm text-emerald-600">Team renamed.</span> : null}
    </form>
  );
}

const ROLE_OPTIONS = ['VIEWER', 'EDITOR', 'ADMIN', 'OWNER'];

export function InviteForm({ teamId, roles }: { teamId: number; roles: string[] }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.invites.create.mutationOptions(useRefreshing()));
  const form = useSchemaForm(createInviteInput, create, (data) => ({ teamId, role: text(data, 'role') }), [
    'role',
  ]);
  const path = create.data ? `/invite/${create.data.token}` : undefined;
  const link = path && typeof window !== 'undefined' ? `${window.location.origin}${path}` : path;
  return (
    <form onSubmit={form.onSubmit} className="flex flex-col gap-3" aria-label="Invite">
      <div className="flex flex-col gap-2 sm:flex-row sm:items-end">
        <Field id="invite-role" label="Invite as" error={form.fieldError('role')}>
          <NativeSelect id="invite-role" name="role" defaultValue="EDITOR" className="w-40">
            {ROLE_OPTIONS.filter((r) => roles.includes(r)).map((r) => (
              <option key={r} value={r}>
                {roleLabel(r)}
              </option>
            ))}
          </NativeSelect>
        </Field>
        <Button type="submit" disabled={form.pending}>
          Create invite link
        </Button>
      </div>
      <FormError message={form.formError} />
      {link ? (
        <CopyField
          value={link}
          label="Invite link (shown once, valid 7 days, works once)"
          testId="invite-link"
        />
      ) : null}
    </form>
  );
}

export function ApiKeyForm({
  teamId,
  roles,
  projects,
}: {
  teamId: number;
  roles: string[];
  projects: { id: number; name: string }[];
}) {
  const trpc = useTRPC();
  const create = useMutation(trpc.apiKeys.create.mutationOptions(useRefreshing()));
  const form = useSchemaForm(
    createApiKeyInput,
    create,
    (data) => ({
      teamId,
      name: text(data, 'name'),
      role: text(data, 'role'),
      projectId: num(data, 'projectId') ?? null,
    }),
    ['name', 'role', 'projectId'],
  );
  return (
    <form onSubmit={form.onSubmit} className="flex flex-col gap-3" aria-label="Create API key">
      <div className="grid gap-3 sm:grid-cols-4 sm:items-end">
        <Field id="key-name" label="Name" error={form.fieldError('name')}>
          <Input
            id="key-name"
            name="name"
            required
            pattern=".*\S.*"
            title="Write a name with at least one letter or digit."
            maxLength={100}
            placeholder="CI pipeline"
          />
        </Field>
        <Field id="key-role" label="Role" error={form.fieldError('role')}>
          <NativeSelect id="key-role" name="role" defaultValue="EDITOR">
            {['VIEWER', 'EDITOR', 'ADMIN']
              .filter((r) => roles.includes(r))
              .map((r) => (
                <option key={r} value={r}>
                  {roleLabel(r)}
                </option>
              ))}
          </NativeSelect>
        </Field>
        <Field id="key-project" label="Scope" error={form.fieldError('projectId')}>
          <NativeSelect id="key-project" name="projectId" defaultValue="">
            <option value="">Whole team</option>
            {projects.map((p) => (
              <option key={p.id} value={p.id}>
                Project {p.name}
              </option>
            ))}
          </NativeSelect>
        </Field>
        <Button type="submit" disabled={form.pending}>
          Create key
        </Button>
      </div>
      <FormError message={form.formError} />
      {create.data ? (
        <CopyField
          value={create.data.key}
          label="Your new API key: copy it now, it is shown only once"
          testId="new-api-key"
        />
      ) : null}
    </form>
  );
}

/** A row's buttons: one tRPC call at a time, its refusal shown beside them, the page refreshed after. */
function useRowAction() {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const run = (call: () => Promise<unknown>, after: () => void = () => router.refresh()) =>
    start(async () => {
      const result = await attempt(call);
      setError(result.error ?? null);
      if (!result.error) after();
    });
  return { pending, error, run };
}

export function MemberControls({
  teamId,
  userId,
  role,
  roles,
  email,
}: {
  teamId: number;
  userId: string;
  role: string;
  roles: string[];
  email: string;
}) {
  const trpc = useTRPC();
  const setRole = useMutation(trpc.members.setRole.mutationOptions());
  const remove = useMutation(trpc.members.remove.mutationOptions());
  const { pending, error, run } = useRowAction();
  return (
    <div className="flex flex-wrap items-center justify-end gap-2">
      <NativeSelect
        aria-label={`Role of ${email}`}
        className="h-8 w-32"
        value={role}
        disabled={pending}
        onChange={(e) =>
          run(() =>
            setRole.mutateAsync({
              teamId,
              userId,
              role: e.target.value as 'OWNER' | 'ADMIN' | 'EDITOR' | 'VIEWER',
            }),
          )
        }
      >
        {ROLE_OPTIONS.filter((r) => roles.includes(r) || r === role).map((r) => (
          <option key={r} value={r}>
            {roleLabel(r)}
          </option>
        ))}
      </NativeSelect>
      <Button
        variant="ghost"
        size="sm"
        disabled={pending}
        onClick={() => run(() => remove.mutateAsync({ teamId, userId }))}
      >
        Remove
      </Button>
      {error ? (
        <span role="alert" className="w-full text-right text-xs text-red-600">
          {error}
        </span>
      ) : null}
    </div>
  );
}

/** Revokes an invite link or an API key after the user confirms (a revoked key stops working at once). */
export function RevokeButton({
  kind,
  teamId,
  id,
  name,
}: {
  kind: 'invite' | 'key';
  teamId: number;
  id: number;
  /** The key's name, shown in the confirmation. */
  name?: string;
}) {
  const trpc = useTRPC();
  const revokeInvite = useMutation(trpc.invites.revoke.mutationOptions());
  const revokeKey = useMutation(trpc.apiKeys.revoke.mutationOptions());
  const { pending, error, run } = useRowAction();
  return (
    <>
      <Button
        variant="ghost"
        size="sm"
        disabled={pending}
        onClick={() => {
          const question =
            kind === 'key'
              ? `Revoke the API key${name ? ` "${name}"` : ''}? Every script that uses it stops working at once.`
              : 'Revoke this invite link? Nobody can join with it afterwards.';
          if (!window.confirm(question)) return;
          run(() =>
            kind === 'invite'
              ? revokeInvite.mutateAsync({ teamId, inviteId: id })
              : revokeKey.mutateAsync({ teamId, keyId: id }),
          );
        }}
      >
        Revoke
      </Button>
      {error ? (
        <span role="alert" className="text-xs text-red-600">
          {error}
        </span>
      ) : null}
    </>
  );
}

export function LeaveTeamButton({ teamId, teamName }: { teamId: number; teamName: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const leave = useMutation(trpc.teams.leave.mutationOptions());
  const { pending, error, run } = useRowAction();
  return (
    <div className="flex flex-col items-start gap-2">
      <Button
        variant="outline"
        disabled={pending}
        onClick={() => {
          if (
            window.confirm(
              `Leave ${teamName}? You lose access to its projects until someone invites you again.`,
            )
          )
            // The UI then works in another team of the user's (the team cookie falls back to the first).
            run(
              () => leave.mutateAsync({ teamId }),
              () => {
                router.push('/projects');
                router.refresh();
              },
            );
        }}
      >
        Leave team
      </Button>
      {error ? (
        <span role="alert" className="text-sm text-red-600">
          {error}
        </span>
      ) : null}
    </div>
  );
}

/** Deleting a team: typing its name arms the button (the server checks the name again). */
export function DeleteTeamForm({ teamId, teamName }: { teamId: number; teamName: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const remove = useMutation(
    trpc.teams.delete.mutationOptions({
      onSuccess: () => {
        router.push('/projects');
        router.refresh();
      },
    }),
  );
  const form = useSchemaForm(
    deleteTeamInput,
    remove,
    (data) => ({ teamId, confirmName: text(data, 'confirm') }),
    ['confirmName'],
  );
  const [typed, setTyped] = useState('');
  return (
    <form
      onSubmit={form.onSubmit}
      className="flex flex-col gap-2 sm:flex-row sm:items-end"
      aria-label="Delete team"
    >
      <Field
        id="team-delete-confirm"
        label={<>Type {teamName} to confirm</>}
        className="flex-1"
        error={form.fieldError('confirmName')}
      >
        <Input
          id="team-delete-confirm"
          name="confirm"
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          autoComplete="off"
        />
      </Field>
      <Button type="submit" variant="destructive" disabled={form.pending || typed.trim() !== teamName}>
        Delete team
      </Button>
      <FormError message={form.formError} />
    </form>
  );
}
