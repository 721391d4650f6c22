import { cva, type VariantProps } from 'class-variance-authority';
import type { ComponentProps } from 'react';
import { cn } from '@/lib/utils';

const badgeVariants = cva('inline-flex items-center rounded-full border px-2 py-0.5 text-xs font-medium', {
  variants: {
    variant: {
      default: 'border-transparent bg-slate-100 text-slate-800 dark:bg-slate-800 dark:text-slate-200',
      blue: 'border-transparent bg-blue-100 text-blue-800 dark:bg-blue-950 dark:text-blue-200',
      green: 'border-transparent bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200',
      red: 'border-transparent bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-200',
      amber: 'border-transparent bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-200',
      outline: 'border-slate-300 text-slate-700 dark:border-slate-700 dark:text-slate-300',
    },
  },
  defaultVariants: { variant: 'default' },
});

export function Badge({
  className,
  variant,
  ...props
}: ComponentProps<'span'> & VariantProps<typeof badgeVariants>) {
  return <span className={cn(badgeVariants({ variant }), className)} {...props} />;
}

const STATUS_VARIANT: Record<string, VariantProps<typeof badgeVariants>['variant']> = {
  QUEUED: 'default',
  RUNNING: 'blue',
  COMPLETED: 'green',
  FAILED: 'red',
  STOPPED: 'amber',
  CANCELLED: 'outline',
};

export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge variant={STATUS_VARIANT[status] ?? 'default'} data-testid="status-badge">
      {status.charAt(0) + status.slice(1).toLowerCase()}
    </Badge>
  );
}
