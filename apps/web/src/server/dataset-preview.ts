import 'server-only';
import { previewCsv } from '@trainhub/api/services/csv-preview';
import { api } from '@/trpc/server';

// Dataset previews for the UI's pages: a resource's first bytes, a CSV's header and rows, the project's
// datasets with their shapes.

/**
 * The first bytes of a resource (never the whole file): enough for a preview. Through the server-side tRPC
 * caller (`resources.head`), so with the signed-in user's access; NOT_FOUND (a TRPCError) when not theirs.
 */
export async function headOf(projectId: number, resourceId: number, maxBytes = 64 * 1024) {
  return (await api()).resources.head({ projectId, resourceId, maxBytes });
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
export async function datasetShapes(projectId: number) {
  const resources = await (await api()).resources.list({ projectId, kind: 'DATASET' });
  return Promise.all(
    resources.slice(0, 50).map(async (r) => {
      const csv = /\.(csv|tsv|txt)$/i.test(r.name)
        ? summarizeCsv((await headOf(projectId, r.id, 256 * 1024).catch(() => ({ text: '' }))).text, 10_000)
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
