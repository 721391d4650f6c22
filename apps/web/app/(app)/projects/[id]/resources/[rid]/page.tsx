import { Download } from 'lucide-react';
import Link from 'next/link';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { PageHeader, Table, Td, Th } from '@/components/ui/misc';
import { analyze, layersOfSpec, shapeText } from '@/lib/architecture';
import { can, formatBytes, formatDate } from '@/lib/utils';
import { headOf, summarizeCsv } from '@/server/dataset-preview';
import { parseId, projectContext } from '@/server/request-context';
import { orNotFound } from '@/trpc/server';

/** Text with NUL or other C0 control bytes (besides tab and line breaks) is shown as binary. */
function isBinary(text: string): boolean {
  for (const ch of text.slice(0, 2000)) {
    const code = ch.charCodeAt(0);
    if (code < 32 && code !== 9 && code !== 10 && code !== 13) return true;
  }
  return false;
}

export default async function ResourcePage({ params }: { params: Promise<{ id: string; rid: string }> }) {
  const p = await params;
  const { project, role } = await projectContext(p.id);
  const { resource, text, truncated } = await orNotFound(headOf(project.id, parseId(p.rid), 256 * 1024));
  const lower = resource.name.toLowerCase();
  const csv = resource.kind === 'DATASET' && /\.(csv|tsv|txt)$/.test(lower) ? summarizeCsv(text) : null;
  let spec: ReturnType<typeof layersOfSpec> = null;
  if (resource.kind === 'ARCHITECTURE' && !truncated) {
    try {
      spec = layersOfSpec(JSON.parse(text));
    } catch {
      spec = null;
    }
  }
  const analysis = spec
    ? analyze(spec.input, spec.layers, { problemType: 'classification', outputs: 1 })
    : null;
  return (
    <>
      <PageHeader
        title={resource.name}
        description={`${resource.kind.toLowerCase()} · ${formatBytes(resource.size)} · added ${formatDate(resource.createdAt)}`}
        actions={
          <>
            {resource.kind === 'ARCHITECTURE' && can(role, 'EDITOR') ? (
              <>
                <Button asChild variant="outline">
                  <Link href={`/projects/${project.id}/architecture?from=${resource.id}`}>Edit a copy</Link>
                </Button>
                <Button asChild variant="outline">
                  <Link href={`/projects/${project.id}/train?architecture=${resource.id}`}>
                    Train with it
                  </Link>
                </Button>
              </>
            ) : resource.kind === 'DATASET' && can(role, 'EDITOR') ? (
              <Button asChild variant="outline">
                <Link href={`/projects/${project.id}/train`}>Train on it</Link>
              </Button>
            ) : null}
            <Button asChild variant="outline">
              <a href={`/api/ui/projects/${project.id}/resources/${resource.id}`} download>
                <Download /> Download
              </a>
            </Button>
          </>
        }
      />
      {csv ? (
        <Card>
          <CardHeader>
            <CardTitle>First rows</CardTitle>
            <p className="text-sm text-slate-500">
              {csv.header.length - 1} feature columns · label column{' '}
              <Badge variant="outline">{csv.header.at(-1)}</Badge>
            </p>
          </CardHeader>
          <CardContent>
            <Table data-testid="csv-preview">
              <thead>
                <tr>
                  {csv.header.map((h, i) => (
                    <Th key={i}>{h}</Th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {csv.rows.map((row, i) => (
                  <tr key={i}>
                    {row.map((cell, j) => (
                      <Td key={j} className="font-mono text-xs">
                        {cell}
                      </Td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </Table>
          </CardContent>
        </Card>
      ) : spec && analysis ? (
        <Card>
          <CardHeader>
            <CardTitle>Layers</CardTitle>
            <p className="text-sm text-slate-500">
              Input {shapeText(spec.input.length ? spec.input : null)}; the output head comes from the problem
              type.
            </p>
          </CardHeader>
          <CardContent>
            <Table data-testid="architecture-preview">
              <thead>
                <tr>
                  <Th>#</Th>
                  <Th>Layer</Th>
                  <Th>Output shape</Th>
                  <Th>Parameters</Th>
                </tr>
              </thead>
              <tbody>
                {spec.layers.map((layer, i) => (
                  <tr key={i} className={layer.enabled === false ? 'opacity-50' : ''}>
                    <Td>{i + 1}</Td>
                    <Td>
                      <code>{layer.type}</code>{' '}
                      <span className="text-xs text-slate-500">
                        {Object.entries(layer)
                          .filter(([k]) => k !== 'type')
                          .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
                          .join(' ')}
                      </span>
                    </Td>
                    <Td>{shapeText(analysis.layers[i]?.shape ?? null)}</Td>
                    <Td>{analysis.layers[i]?.params.toLocaleString('en-US')}</Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </CardContent>
        </Card>
      ) : (
        <Card>
          <CardContent className="pt-5">
            {resource.kind === 'MODEL' || isBinary(text) ? (
              <p className="text-sm text-slate-500">This is a binary file: download it to use it.</p>
            ) : (
              <pre className="max-h-[60vh] overflow-auto text-xs">{text.slice(0, 20_000)}</pre>
            )}
          </CardContent>
        </Card>
      )}
    </>
  );
}
