'use client';
import type { UseMutationResult } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { z } from 'zod';
import { fieldErrorsOf, type FieldErrors } from '@trainhub/api/inputs';

/** What a refused tRPC call carries: its code, message and (for a bad input) the per-field messages. */
interface RefusalLike {
  message: string;
  data?: { code?: string; fieldErrors?: FieldErrors | null } | null;
}

const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** A refusal as one line for the form: "Not allowed: ..." for FORBIDDEN, a generic line for server faults. */
export function refusalMessage(error: RefusalLike | null | undefined): string | null {
  if (!error) return null;
  const code = error.data?.code;
  if (code === 'INTERNAL_SERVER_ERROR' || !code) return 'Something went wrong on the server; try again.';
  return code === 'FORBIDDEN' ? `Not allowed: ${sentence(error.message)}` : sentence(error.message);
}

/**
 * A form submitted through a tRPC mutation, checked first with the procedure's own input schema.
 *
 * `toInput` reads the form's values into the procedure's input. A value the schema refuses (here, or on the
 * server) is shown at its field (`fieldError('hyperparameters.epochs')`, or any key under a prefix such as
 * `layers`); other refusals are one `formError`. The form is submitted by hand, not through `action=`: React
 * resets a form after an action, and a refused form must keep every value the user typed.
 */
export function useSchemaForm<S extends z.ZodType, TData>(
  schema: S,
  mutation: UseMutationResult<TData, RefusalLike, z.input<S>, unknown>,
  toInput: (data: FormData, form: HTMLFormElement) => unknown,
  /** The paths the form shows at a field; a message for any other path shows as the form's error. */
  shown: string[] = [],
) {
  const [local, setLocal] = useState<FieldErrors | null>(null);
  const server = mutation.error;
  const fields: FieldErrors = local ?? server?.data?.fieldErrors ?? {};
  const keys = Object.keys(fields);
  const isShown = (key: string) => shown.some((p) => key === p || key.startsWith(`${p}.`));
  const unshown = keys.filter((key) => !isShown(key));
  return {
    pending: mutation.isPending,
    data: mutation.data,
    /** The message of the field at `path`, or of the first field under it. */
    fieldError(path: string): string | undefined {
      const key = Object.keys(fields).find((k) => k === path || k.startsWith(`${path}.`));
      return key === undefined ? undefined : sentence(fields[key]!);
    },
    /** A refusal that names no field the form shows. */
    formError:
      keys.length > 0
        ? unshown.length > 0
          ? unshown.map((key) => sentence(fields[key]!)).join(' ')
          : null
        : refusalMessage(server),
    onSubmit(event: FormEvent<HTMLFormElement>) {
      event.preventDefault();
      const form = event.currentTarget;
      const parsed = schema.safeParse(toInput(new FormData(form), form));
      if (!parsed.success) {
        mutation.reset();
        setLocal(fieldErrorsOf(parsed.error));
        return;
      }
      setLocal(null);
      mutation.mutate(parsed.data as z.input<S>);
    },
  };
}

/** A form field's text ('' when absent). */
export function text(data: FormData, name: string): string {
  const value = data.get(name);
  return typeof value === 'string' ? value : '';
}

/** A number field: undefined when empty, NaN when not a number (the schema names the field then). */
export function num(data: FormData, name: string): number | undefined {
  const raw = text(data, name).trim();
  return raw === '' ? undefined : Number(raw);
}

/**
 * Runs a tRPC call from a button (delete, revoke, stop...): a refusal comes back as `{ error }` for the
 * button to show, in the words `refusalMessage` uses; nothing is thrown.
 */
export async function attempt(call: () => Promise<unknown>): Promise<{ error?: string }> {
  try {
    await call();
    return {};
  } catch (error) {
    return { error: refusalMessage(error as RefusalLike) ?? undefined };
  }
}
