'use client';
import { useEffect, useState } from 'react';
import { Badge } from '@/components/ui/badge';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Tabs, TabsContent, TabsList, TabsTrigger } from '@/components/ui/tabs';
import { buildSnippet, type ApiStyleId, type SnippetIds, type SnippetOperation } from '@/lib/api-snippets';
import { OpenApiViewer } from './openapi-viewer';

interface Operation {
  summary?: string;
  description?: string;
  operationId?: string;
  requestBody?: { content?: Record<string, unknown> };
  parameters?: SnippetOperation['parameters'];
}
interface Doc {
  info?: { title?: string; description?: string; version?: string };
  paths?: Record<string, Record<string, Operation>>;
}

const STYLES: { id: ApiStyleId; label: string }[] = [
  { id: 'mlw', label: 'MLW' },
  { id: 'edge-impulse', label: 'Edge Impulse' },
  { id: 'training-module', label: 'Training module' },
];
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export type ProjectIds = SnippetIds;

function Operations({
  style,
  ids,
  origin,
}: {
  style: (typeof STYLES)[number];
  ids: ProjectIds;
  origin: string;
}) {
  const [doc, setDoc] = useState<Doc | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  const [reference, setReference] = useState(false);
  useEffect(() => {
    fetch(`/api/openapi/${style.id}.json`)
      .then(async (r) => {
        if (!r.ok) throw new Error(`the document answered ${r.status}`);
        setDoc((await r.json()) as Doc);
      })
      .catch((e: Error) => setError(e.message));
  }, [style.id]);
  if (error)
    return (
      <p role="alert" className="text-sm text-red-600">
        Could not load the {style.label} document: {error}
      </p>
    );
  if (!doc) return <p className="text-sm text-slate-500">Loading…</p>;
  const ops = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ path, method: m, op: item[m]! })),
  );
  const shown = ops.filter(
    (o) =>
      !filter || `${o.method} ${o.path} ${o.op.summary ?? ''}`.toLowerCase().includes(filter.toLowerCase()),
  );
  return (
    <div className="flex flex-col gap-3">
      <p className="text-sm text-slate-500">
        {doc.info?.title} {doc.info?.version ? `· ${doc.info.version}` : ''} ·{' '}
        <a className="underline" href={`/api/openapi/${style.id}.json`}>
          OpenAPI JSON
        </a>
      </p>
      <details onToggle={(e) => setReference((e.target as HTMLDetailsElement).open)}>
        <summary className="cursor-pointer text-sm font-medium">
          Interactive reference (schemas and examples)
        </summary>
        {reference ? <OpenApiViewer url={`/api/openapi/${style.id}.json`} /> : null}
      </details>
      <Input
        placeholder="Filter routes"
        aria-label="Filter routes"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
        className="max-w-xs"
      />
      <ul className="flex flex-col gap-2" data-testid={`routes-${style.id}`}>
        {shown.map(({ path, method, op }) => {
          const snippet = buildSnippet(
            style.id,
            { method, path, requestBody: op.requestBody, parameters: op.parameters },
            ids,
            origin,
          );
          return (
            <li key={`${method} ${path}`}>
              <details className="rounded-lg border border-slate-200 dark:border-slate-800">
                <summary className="flex cursor-pointer flex-wrap items-center gap-2 p-2 text-sm">
                  <Badge
                    variant={method === 'get' ? 'blue' : method === 'delete' ? 'red' : 'green'}
                    className="w-16 justify-center uppercase"
                  >
                    {method}
                  </Badge>
                  <code className="break-all">{path}</code>
                  <span className="text-slate-500">{op.summary}</span>
                </summary>
                <div className="border-t border-slate-200 p-3 text-sm dark:border-slate-800">
                  {op.description ? (
                    <p className="mb-2 text-slate-600 dark:text-slate-400">{op.description}</p>
                  ) : null}
                  <pre
                    className="overflow-x-auto rounded bg-slate-950 p-3 text-xs text-slate-100"
                    data-testid="curl-snippet"
                    data-method={method}
                    data-path={path}
                    data-ready={snippet.ready}
                  >
                    {snippet.command}
                  </pre>
                  {snippet.ready ? null : (
                    <p className="mt-1 text-xs text-slate-500">
                      Before it runs, fill in {snippet.todo.join('; ')}.
                    </p>
                  )}
                </div>
              </details>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

export function ApiDocs({ ids }: { ids: ProjectIds }) {
  const { projectId } = ids;
  const [origin, setOrigin] = useState('http://localhost:3000');
  useEffect(() => setOrigin(window.location.origin), []);
  const trpc = `// npm install @trainhub/client
import { createClient } from '@trainhub/client';

const client = createClient({ url: '${origin}', apiKey: process.env.TRAINHUB_API_KEY! });
const project = await client.trpc.projects.get.query({ projectId: ${projectId} });
const tasks = await client.trpc.tasks.list.query({ projectId: ${projectId} });`;
  return (
    <div className="flex flex-col gap-6">
      <Card>
        <CardHeader>
          <CardTitle>tRPC client</CardTitle>
          <CardDescription>
            Everything the UI can do, typed. Create an API key on the Team page.
          </CardDescription>
        </CardHeader>
        <CardContent>
          <pre
            className="overflow-x-auto rounded bg-slate-950 p-3 text-xs text-slate-100"
            data-testid="trpc-snippet"
          >
            {trpc}
          </pre>
        </CardContent>
      </Card>
      <Tabs defaultValue="mlw">
        <TabsList>
          {STYLES.map((s) => (
            <TabsTrigger key={s.id} value={s.id}>
              {s.label}
            </TabsTrigger>
          ))}
        </TabsList>
        {STYLES.map((s) => (
          <TabsContent key={s.id} value={s.id}>
            <Operations style={s} ids={ids} origin={origin} />
          </TabsContent>
        ))}
      </Tabs>
    </div>
  );
}
