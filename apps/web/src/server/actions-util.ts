import 'server-only';
import { unstable_rethrow } from 'next/navigation';
import { DomainError } from '@trainhub/api';

export interface ActionState {
  ok?: boolean;
  error?: string;
  /** A value shown once (an invite link, an API key). */
  secret?: string;
  message?: string;
}

/**
 * Runs a server action body: a service's refusal becomes a message for the form, anything unexpected is
 * logged and answered with a generic message (never a stack trace), redirects pass through.
 */
export async function act(fn: () => Promise<ActionState | void>): Promise<ActionState> {
  try {
    return (await fn()) ?? { ok: true };
  } catch (error) {
    unstable_rethrow(error);
    if (error instanceof DomainError) {
      const message = error.message.charAt(0).toUpperCase() + error.message.slice(1);
      return { error: error.code === 'FORBIDDEN' ? `Not allowed: ${message}` : message };
    }
    console.error('web action failed:', error instanceof Error ? error.message : error);
    return { error: 'Something went wrong on the server; try again.' };
  }
}

export function field(formData: FormData, name: string): string {
  const value = formData.get(name);
  return typeof value === 'string' ? value : '';
}

export function intField(formData: FormData, name: string): number {
  const raw = field(formData, name).trim();
  if (!/^\d{1,12}$/.test(raw)) throw new DomainError('INVALID', `${name} must be a whole number`);
  return Number(raw);
}
