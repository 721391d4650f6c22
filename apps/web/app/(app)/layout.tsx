import type { ReactNode } from 'react';
import { AppHeader } from '@/components/shell/app-header';
import { currentTeam } from '@/server/request-context';

export const dynamic = 'force-dynamic';

export default async function AppLayout({ children }: { children: ReactNode }) {
  const { principal, teams, team } = await currentTeam();
  return (
    <div className="min-h-screen">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2"
      >
        Skip to content
      </a>
      <AppHeader
        email={principal.email}
        teams={teams.map((t) => ({ id: t.id, name: t.name, role: t.role }))}
        teamId={team?.id ?? null}
      />
      <main id="main" className="mx-auto max-w-6xl px-4 py-6 sm:py-8">
        {children}
      </main>
    </div>
  );
}
