import { Input } from '@/components/ui/input';
import { Field } from '@/components/ui/field';

/** A new password and its repetition (fields `password` and `confirm`), for sign-up and password change. */
export function NewPasswordFields({
  minPassword,
  label = 'Password',
  confirmLabel = 'Repeat password',
}: {
  minPassword: number;
  label?: string;
  confirmLabel?: string;
}) {
  return (
    <>
      <Field id="password" label={label}>
        <Input
          id="password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={minPassword}
          aria-describedby="password-hint"
        />
        <p id="password-hint" className="text-xs text-slate-500">
          At least {minPassword} characters.
        </p>
      </Field>
      <Field id="confirm" label={confirmLabel}>
        <Input id="confirm" name="confirm" type="password" autoComplete="new-password" required />
      </Field>
    </>
  );
}
