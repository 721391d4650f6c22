import Link from 'next/link';

export default function NotFound() {
  return (
    <main className="mx-auto flex max-w-md flex-col items-center gap-3 px-4 py-24 text-center">
      <h1 className="text-2xl font-semibold">Not found</h1>
      <p className="text-slate-500" data-testid="not-found">
        This page does not exist, or you have no access to it.
      </p>
      <Link href="/projects" className="text-indigo-600 underline dark:text-indigo-400">
        Back to your projects
      </Link>
    </main>
  );
}
