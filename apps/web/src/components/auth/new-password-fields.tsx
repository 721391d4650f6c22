import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';

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
      <div className="flex flex-col gap-2">
        <Label htmlFor="password">{label}</Label>
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
      </div>
      <div className="flex flex-col gap-2">
        <Label htmlFor="confirm">{confirmLabel}</Label>
        <Input id="confirm" name="confirm" type="password" autoComplete="new-password" required />
      </div>
    </>
  );
}
