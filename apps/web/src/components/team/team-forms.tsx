'use client';
import { Check, Copy } from 'lucide-react';
import { useActionState, useState, useTransition } from 'react';
import {
  createApiKeyAction,
  createInviteAction,
  deleteTeamAction,
  leaveTeamAction,
  removeMemberAction,
  renameTeamAction,
  revokeApiKeyAction,
  revokeInviteAction,
  setMemberRoleAction,
} from '@/actions';
import { Button } from '@/components/ui/button';
import { Input, NativeSelect } from '@/components/ui/input';
import { Field } from '@/components/ui/field';
import { FormError } from '@/components/ui/misc';
import { roleLabel } from '@/lib/utils';

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

export function RenameTeamForm({ teamId, name }: { teamId: number; name: string }) {
  const [state, action, pending] = useActionState(renameTeamAction, {});
  return (
    <form action={action} className="flex flex-col gap-2 sm:flex-row sm:items-end" aria-label="Rename team">
      <input type="hidden" name="teamId" value={teamId} />
      <Field id="team-rename" label="Current name" className="flex-1">
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
      <Button type="submit" variant="outline" disabled={pending}>
        Rename
      </Button>
      <FormError message={state.error} />
      {state.message ? <span className="text-sm text-emerald-600">{state.message}</span> : null}
    </form>
  );
}

const ROLE_OPTIONS = ['VIEWER', 'EDITOR', 'ADMIN', 'OWNER'];

export function InviteForm({ teamId, roles }: { teamId: number; roles: string[] }) {
  const [state, action, pending] = useActionState(createInviteAction, {});
  const link =
    state.secret && typeof window !== 'undefined' ? `${window.location.origin}${state.secret}` : state.secret;
  return (
    <form action={action} className="flex flex-col gap-3" aria-label="Invite">
      <input type="hidden" name="teamId" value={teamId} />
      <div className="flex flex-col gap-2 sm:flex-row sm:items-end">
        <Field id="invite-role" label="Invite as">
          <NativeSelect id="invite-role" name="role" defaultValue="EDITOR" className="w-40">
            {ROLE_OPTIONS.filter((r) => roles.includes(r)).map((r) => (
              <option key={r} value={r}>
                {roleLabel(r)}
              </option>
            ))}
          </NativeSelect>
        </Field>
        <Button type="submit" disabled={pending}>
          Create invite link
        </Button>
      </div>
      <FormError message={state.error} />
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
  const [state, action, pending] = useActionState(createApiKeyAction, {});
  return (
    <form action={action} className="flex flex-col gap-3" aria-label="Create API key">
      <input type="hidden" name="teamId" value={teamId} />
      <div className="grid gap-3 sm:grid-cols-4 sm:items-end">
        <Field id="key-name" label="Name">
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
        <Field id="key-role" label="Role">
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
        <Field id="key-project" label="Scope">
          <NativeSelect id="key-project" name="projectId" defaultValue="">
            <option value="">Whole team</option>
            {projects.map((p) => (
              <option key={p.id} value={p.id}>
                Project {p.name}
              </option>
            ))}
          </NativeSelect>
        </Field>
        <Button type="submit" disabled={pending}>
          Create key
        </Button>
      </div>
      <FormError message={state.error} />
      {state.secret ? (
        <CopyField
          value={state.secret}
          label="Your new API key: copy it now, it is shown only once"
          testId="new-api-key"
        />
      ) : null}
    </form>
  );
}

function useRowAction() {
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const run = (fn: () => Promise<{ error?: string }>) =>
    start(async () => {
      const result = await fn();
      setError(result.error ?? null);
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
  const { pending, error, run } = useRowAction();
  return (
    <div className="flex flex-wrap items-center justify-end gap-2">
      <NativeSelect
        aria-label={`Role of ${email}`}
        className="h-8 w-32"
        value={role}
        disabled={pending}
        onChange={(e) => run(() => setMemberRoleAction(teamId, userId, e.target.value))}
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
        onClick={() => run(() => removeMemberAction(teamId, userId))}
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
          run(() => (kind === 'invite' ? revokeInviteAction(teamId, id) : revokeApiKeyAction(teamId, id)));
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
            run(() => leaveTeamAction(teamId));
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
  const [state, action, pending] = useActionState(deleteTeamAction, {});
  const [typed, setTyped] = useState('');
  return (
    <form action={action} className="flex flex-col gap-2 sm:flex-row sm:items-end" aria-label="Delete team">
      <input type="hidden" name="teamId" value={teamId} />
      <Field id="team-delete-confirm" label={<>Type {teamName} to confirm</>} className="flex-1">
        <Input
          id="team-delete-confirm"
          name="confirm"
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          autoComplete="off"
        />
      </Field>
      <Button type="submit" variant="destructive" disabled={pending || typed.trim() !== teamName}>
        Delete team
      </Button>
      <FormError message={state.error} />
    </form>
  );
}
