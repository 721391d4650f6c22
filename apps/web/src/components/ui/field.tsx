'use client';
import { cloneElement, isValidElement, type ReactElement, type ReactNode } from 'react';
import { cn } from '@/lib/utils';
import { Label } from './label';

/** A labelled form control, with an optional hint under it (also its description for screen readers). */
export function Field({
  id,
  label,
  hint,
  className,
  children,
}: {
  /** The control's id: the label points at it. */
  id: string;
  label: ReactNode;
  hint?: string;
  className?: string;
  children: ReactNode;
}) {
  const hintId = `${id}-hint`;
  return (
    <div className={cn('flex flex-col gap-2', className)}>
      <Label htmlFor={id}>{label}</Label>
      {hint && isValidElement(children)
        ? cloneElement(children as ReactElement<{ 'aria-describedby'?: string }>, {
            'aria-describedby': hintId,
          })
        : children}
      {hint ? (
        <p id={hintId} className="text-xs text-slate-500">
          {hint}
        </p>
      ) : null}
    </div>
  );
}
