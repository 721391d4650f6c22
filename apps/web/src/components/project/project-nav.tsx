'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { cn } from '@/lib/utils';

export function ProjectNav({ projectId, canWrite }: { projectId: number; canWrite: boolean }) {
  const pathname = usePathname();
  const base = `/projects/${projectId}`;
  const items = [
    { href: base, label: 'Files', exact: true },
    { href: `${base}/architecture`, label: 'Architecture', hidden: !canWrite },
    { href: `${base}/train`, label: 'Train', hidden: !canWrite },
    { href: `${base}/tasks`, label: 'Trainings' },
    { href: `${base}/models`, label: 'Models' },
    { href: `${base}/samples`, label: 'Samples' },
    { href: `${base}/schedules`, label: 'Schedules' },
    { href: `${base}/api`, label: 'API' },
  ].filter((i) => !i.hidden);
  return (
    <nav aria-label="Project" className="-mx-4 mb-6 overflow-x-auto px-4">
      <ul className="flex gap-1 border-b border-slate-200 dark:border-slate-800">
        {items.map((item) => {
          const active = item.exact ? pathname === item.href : pathname.startsWith(item.href);
          return (
            <li key={item.href}>
              <Link
                href={item.href}
                aria-current={active ? 'page' : undefined}
                className={cn(
                  '-mb-px block border-b-2 px-3 py-2 text-sm whitespace-nowrap',
                  active
                    ? 'border-indigo-600 font-medium text-indigo-600 dark:text-indigo-400'
                    : 'border-transparent text-slate-600 hover:text-slate-900 dark:text-slate-400',
                )}
              >
                {item.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
