'use client';
import { ChevronsUpDown, LogOut, Plus, UserRound, Users } from 'lucide-react';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { signOut } from 'next-auth/react';
import { useTransition } from 'react';
import { switchTeamAction } from '@/actions';
import { Button } from '@/components/ui/button';
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from '@/components/ui/dropdown-menu';
import { cn, roleLabel } from '@/lib/utils';

export function AppHeader({
  email,
  teams,
  teamId,
}: {
  email: string;
  teams: { id: number; name: string; role: string }[];
  teamId: number | null;
}) {
  const router = useRouter();
  const pathname = usePathname();
  const [pending, start] = useTransition();
  const team = teams.find((t) => t.id === teamId);
  const nav = [
    { href: '/projects', label: 'Projects' },
    { href: '/team', label: 'Team' },
  ];
  return (
    <header className="border-b border-slate-200 bg-white/90 backdrop-blur dark:border-slate-800 dark:bg-slate-950/90">
      <div className="mx-auto flex min-h-14 max-w-6xl flex-wrap items-center gap-2 px-4 py-2 sm:gap-4">
        <Link href="/projects" className="font-semibold tracking-tight">
          Trainhub
        </Link>
        <DropdownMenu>
          <DropdownMenuTrigger asChild>
            <Button
              variant="outline"
              size="sm"
              aria-label={`${team ? team.name : 'No team'}: switch team`}
              data-testid="team-switcher"
              disabled={pending}
            >
              <span className="max-w-[9rem] truncate">{team ? team.name : 'No team'}</span>
              <ChevronsUpDown />
            </Button>
          </DropdownMenuTrigger>
          <DropdownMenuContent align="start">
            <DropdownMenuLabel>Teams</DropdownMenuLabel>
            {teams.map((t) => (
              <DropdownMenuItem
                key={t.id}
                onSelect={() =>
                  start(async () => {
                    await switchTeamAction(t.id);
                    router.push('/projects');
                    router.refresh();
                  })
                }
              >
                <Users />
                <span className="flex-1 truncate">{t.name}</span>
                <span className="text-xs text-slate-500">{roleLabel(t.role)}</span>
              </DropdownMenuItem>
            ))}
            <DropdownMenuSeparator />
            <DropdownMenuItem onSelect={() => router.push('/team?new=1')}>
              <Plus /> New team
            </DropdownMenuItem>
          </DropdownMenuContent>
        </DropdownMenu>
        <nav aria-label="Main" className="flex items-center gap-1">
          {nav.map((item) => (
            <Link
              key={item.href}
              href={item.href}
              aria-current={pathname.startsWith(item.href) ? 'page' : undefined}
              className={cn(
                'rounded-md px-2 py-1 text-sm hover:bg-slate-100 dark:hover:bg-slate-800',
                pathname.startsWith(item.href) && 'font-medium text-indigo-600 dark:text-indigo-400',
              )}
            >
              {item.label}
            </Link>
          ))}
        </nav>
        <div className="ml-auto">
          <DropdownMenu>
            <DropdownMenuTrigger asChild>
              <Button variant="ghost" size="sm">
                {/* The name holds the visible text (axe: label-content-name-mismatch). */}
                <span className="sr-only">Account menu: </span>
                <span className="hidden max-w-[12rem] truncate sm:inline">{email}</span>
                <span className="sm:hidden">Account</span>
              </Button>
            </DropdownMenuTrigger>
            <DropdownMenuContent align="end">
              <DropdownMenuLabel>{email}</DropdownMenuLabel>
              <DropdownMenuItem onSelect={() => router.push('/account')}>
                <UserRound /> Account
              </DropdownMenuItem>
              <DropdownMenuItem
                onSelect={() =>
                  void signOut({ redirect: false }).then(() => {
                    router.push('/signin');
                    router.refresh();
                  })
                }
              >
                <LogOut /> Sign out
              </DropdownMenuItem>
            </DropdownMenuContent>
          </DropdownMenu>
        </div>
      </div>
    </header>
  );
}
