import Link from 'next/link';
import { getHealth } from '@trainhub/api';
import { openSignupAvailable } from '@trainhub/api/services/signup';
import { Button } from '@/components/ui/button';
import { getDb } from '@/server/deps';
import { webEnv } from '@/server/config';
import { currentPrincipal } from '@/server/request-context';

// Rendered per request: it shows live platform status.
export const dynamic = 'force-dynamic';

export default async function HomePage() {
  const db = getDb();
  const [health, principal, signupOpen] = await Promise.all([
    getHealth(db),
    currentPrincipal(),
    // Sign-up is closed once the first account exists unless ALLOW_SIGNUP is set: then only invites create accounts.
    openSignupAvailable(db, webEnv().auth.allowSignup),
  ]);
  const liveTrainers = health.trainers.filter((t) => t.alive);
  // Under `npm start`: a trainer process that died and is being restarted (or keeps dying).
  const supervised = health.supervisor?.processes.filter(
    (p) => p.state === 'restarting' || p.state === 'crash-looping',
  );
  return (
    <main className="mx-auto flex max-w-3xl flex-col gap-8 px-6 py-16">
      <header className="flex flex-col gap-3">
        <h1 className="text-4xl font-semibold tracking-tight">Trainhub</h1>
        <p className="text-lg text-slate-600 dark:text-slate-400">
          Upload datasets and model architectures into projects, and train neural networks on them: once, or
          on a cron schedule. Speak to it in the MLW, Edge Impulse or training-session API styles, or use this
          UI.
        </p>
        <div className="flex flex-wrap gap-3">
          {principal ? (
            <Button asChild size="lg">
              <Link href="/projects">Open your projects</Link>
            </Button>
          ) : (
            <>
              <Button asChild size="lg">
                <Link href="/signin">Sign in</Link>
              </Button>
              {signupOpen ? (
                <Button asChild size="lg" variant="outline">
                  <Link href="/signup">Create an account</Link>
                </Button>
              ) : null}
            </>
          )}
        </div>
      </header>
      <section
        aria-labelledby="status-heading"
        className="rounded-xl border border-slate-200 p-6 dark:border-slate-800"
      >
        <h2 id="status-heading" className="mb-4 text-lg font-medium">
          Platform status
        </h2>
        <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-2 text-sm">
          <dt className="text-slate-500">Database</dt>
          <dd data-testid="status-database">
            {health.database.ok
              ? `reachable (${health.database.provider})`
              : `unreachable: ${health.database.error}`}
          </dd>
          <dt className="text-slate-500">Trainers</dt>
          <dd data-testid="status-trainers">
            {liveTrainers.length > 0
              ? `${liveTrainers.length} live (${liveTrainers.map((t) => t.backend ?? 'starting').join(', ')})`
              : 'none live: start one with npm start or the trainer app'}
          </dd>
          {supervised?.map((p) => (
            <div key={p.name} className="contents">
              <dt className="text-slate-500">{p.name === 'trainer' ? 'Trainer process' : 'Web process'}</dt>
              <dd data-testid={`status-process-${p.name}`} className="text-amber-700 dark:text-amber-400">
                {p.state === 'crash-looping' ? 'crash-looping' : 'restarting'} after it died (
                {p.lastExit?.reason ?? 'unknown reason'}); {p.restarts} restart{p.restarts === 1 ? '' : 's'}{' '}
                so far
              </dd>
            </div>
          ))}
        </dl>
      </section>
    </main>
  );
}
