import 'server-only';
import { services } from '@trainhub/api';
import { getDb } from './db';
import { headOf, summarizeCsv } from './dataset';
import type { UserPrincipal } from './session';

/** The project's datasets with their feature count, label column and classes (from their first rows). */
export async function datasetShapes(principal: UserPrincipal, projectId: number) {
  const resources = await services.listResources(getDb(), principal, projectId, 'DATASET');
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
