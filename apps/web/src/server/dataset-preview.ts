import 'server-only';
import { previewCsv } from '@trainhub/api/services/csv-preview';
import { listResources, openResource } from '@trainhub/api/services/resources';
import { getDb, restDeps } from './deps';
import type { UserPrincipal } from './request-context';

// Dataset previews for the UI's pages: a resource's first bytes, a CSV's header and rows, the project's
// datasets with their shapes.

/** The first bytes of a resource (never the whole file): enough for a preview. */
export async function headOf(
  principal: UserPrincipal,
  projectId: number,
  resourceId: number,
  maxBytes = 64 * 1024,
) {
  const { resource, stream } = await openResource(restDeps(), principal, projectId, resourceId);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      chunks.push(buffer);
      size += buffer.length;
      if (size >= maxBytes) break;
    }
  } finally {
    stream.destroy();
  }
  const text = Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
  return { resource, text, truncated: resource.size > maxBytes };
}

export interface CsvSummary {
  header: string[];
  rows: string[][];
  /** Distinct values of the last column among the previewed rows. */
  labels: string[];
}

/** Header and first rows of a CSV from the head of the file (a cut-off last row is left out). */
export function summarizeCsv(text: string, maxRows = 20): CsvSummary | null {
  const preview = previewCsv(text, { maxRows: Number.MAX_SAFE_INTEGER });
  if (!preview || preview.header.length < 2) return null;
  const labels = [...new Set(preview.rows.map((r) => r[r.length - 1] ?? ''))].filter(Boolean);
  return { header: preview.header, rows: preview.rows.slice(0, maxRows), labels };
}

/** The project's datasets with their feature count, label column and classes (from their first rows). */
export async function datasetShapes(principal: UserPrincipal, projectId: number) {
  const resources = await listResources(getDb(), principal, projectId, 'DATASET');
  return Promise.all(
    resources.slice(0, 50).map(async (r) => {
      const csv = /\.(csv|tsv|txt)$/i.test(r.name)
        ? summarizeCsv(
            (await headOf(principal, projectId, r.id, 256 * 1024).catch(() => ({ text: '' }))).text,
            10_000,
          )
        : null;
      return {
        id: r.id,
        name: r.name,
        features: csv ? csv.header.length - 1 : 0,
        classes: csv ? csv.labels.length : 0,
        label: csv?.header.at(-1) ?? null,
        columns: csv?.header ?? [],
      };
    }),
  );
}
