import type { Db, Hyperparameters, Prisma, TrainingDefinition } from '@trainhub/db';
import type { Principal } from '../auth/principal';
import { requireProject } from './access';
import { DomainError } from './errors';
import { createCheckedTraining, type TaskSource } from './tasks';

export type LearnBlockSettings = Record<string, unknown>;

export function listLearnBlocks(db: Db, principal: Principal, projectId: number) {
  return requireProject(db, principal, projectId, 'VIEWER').then(() =>
    db.learnBlock.findMany({ where: { projectId }, orderBy: { id: 'asc' } }),
  );
}

export async function getLearnBlock(db: Db, principal: Principal, projectId: number, learnId: number) {
  await requireProject(db, principal, projectId, 'VIEWER');
  return blockOf(db, projectId, learnId);
}

/** Learn block `learnId` of a project the caller may read (checked before); NOT_FOUND otherwise. */
async function blockOf(db: Db, projectId: number, learnId: number) {
  const block = Number.isSafeInteger(learnId)
    ? await db.learnBlock.findFirst({ where: { id: learnId, projectId } })
    : null;
  if (!block) throw new DomainError('NOT_FOUND', 'learn block not found');
  return block;
}

/**
 * The block an Edge Impulse `learnId` names in a project: the block its client created with that id
 * (`blockId`), else a block without one whose row id it is (blocks made before or through other surfaces).
 * NOT_FOUND otherwise.
 */
export async function findLearnBlockByClientId(
  db: Db,
  principal: Principal,
  projectId: number,
  learnId: number,
) {
  await requireProject(db, principal, projectId, 'VIEWER');
  const rows = Number.isSafeInteger(learnId)
    ? await db.learnBlock.findMany({
        where: { projectId, OR: [{ blockId: learnId }, { id: learnId, blockId: null }] },
      })
    : [];
  const block = rows.find((r) => r.blockId === learnId) ?? rows[0];
  if (!block) throw new DomainError('NOT_FOUND', 'learn block not found');
  return block;
}

export interface LearnBlockInput {
  /** The row id of an existing block (tRPC); ignored when `blockId` is given. */
  id?: number;
  /**
   * The client's own id for the block (Edge Impulse's learnId): the block with that id is updated (or the
   * block without one whose row id it is), else a block is created with it.
   */
  blockId?: number;
  type?: string;
  name: string;
  title: string;
  settings?: LearnBlockSettings;
}

/**
 * Sets a project's learn blocks (Edge Impulse's impulse): blocks with a known id are updated, the others
 * created; blocks not named are kept (their tasks keep a reference). One transaction.
 */
export async function setLearnBlocks(
  db: Db,
  principal: Principal,
  projectId: number,
  blocks: LearnBlockInput[],
) {
  await requireProject(db, principal, projectId, 'EDITOR');
  const existing = await db.learnBlock.findMany({
    where: { projectId },
    select: { id: true, blockId: true },
  });
  // An `id` that is not a block of this project makes a new block, whose real id the answer reports.
  const known = new Set(existing.map((b) => b.id));
  return db.$transaction(async (tx) => {
    const out = [];
    for (const block of blocks) {
      const data = { type: block.type ?? 'keras', name: block.name, title: block.title };
      if (block.blockId !== undefined) {
        const row =
          existing.find((b) => b.blockId === block.blockId) ??
          existing.find((b) => b.blockId === null && b.id === block.blockId);
        const settings = block.settings ? { settings: block.settings as Prisma.InputJsonValue } : {};
        out.push(
          row
            ? await tx.learnBlock.update({
                where: { id: row.id },
                data: { ...data, blockId: block.blockId, ...settings },
              })
            : await tx.learnBlock.create({
                data: {
                  ...data,
                  projectId,
                  blockId: block.blockId,
                  settings: (block.settings ?? {}) as Prisma.InputJsonValue,
                },
              }),
        );
        continue;
      }
      out.push(
        block.id !== undefined && known.has(block.id)
          ? await tx.learnBlock.update({
              where: { id: block.id! },
              data: {
                ...data,
                ...(block.settings ? { settings: block.settings as Prisma.InputJsonValue } : {}),
              },
            })
          : await tx.learnBlock.create({
              data: { ...data, projectId, settings: (block.settings ?? {}) as Prisma.InputJsonValue },
            }),
      );
    }
    return out;
  });
}

/** "Only fields defined in this object are set": merges `patch` into the stored settings. */
export async function updateLearnBlockSettings(
  db: Db,
  principal: Principal,
  projectId: number,
  learnId: number,
  patch: LearnBlockSettings,
) {
  await requireProject(db, principal, projectId, 'EDITOR');
  const block = await getLearnBlock(db, principal, projectId, learnId);
  const settings = { ...(block.settings as LearnBlockSettings), ...stripUndefined(patch) };
  return db.learnBlock.update({
    where: { id: block.id },
    data: { settings: settings as Prisma.InputJsonValue },
  });
}

function stripUndefined(value: LearnBlockSettings): LearnBlockSettings {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/** The dataset a learn block trains on: its `datasetResourceId` setting, else the project's newest dataset. */
export async function learnBlockDataset(
  db: Db,
  projectId: number,
  settings: LearnBlockSettings,
): Promise<number> {
  if (typeof settings.datasetResourceId === 'number') return settings.datasetResourceId;
  const dataset = await db.resource.findFirst({
    where: { projectId, kind: 'DATASET', deletedAt: null },
    orderBy: { id: 'desc' },
    select: { id: true },
  });
  if (!dataset)
    throw new DomainError('INVALID', 'the project has no dataset: upload a CSV or JSON dataset first');
  return dataset.id;
}

/**
 * Stores `patch` on the learn block and starts a training with the merged settings. `toTraining` is the
 * style's translation of its settings into a definition and hyperparameters; it may throw INVALID, in which
 * case nothing is written. The project and the block are read once (createCheckedTraining does not read
 * them again); the model is translated and stored normalized there.
 */
export async function trainLearnBlock(
  db: Db,
  principal: Principal,
  projectId: number,
  learnId: number,
  patch: LearnBlockSettings,
  source: TaskSource,
  toTraining: (
    settings: LearnBlockSettings,
    datasetResourceId: number,
    block: { title: string; name: string; type: string },
  ) => { definition: TrainingDefinition; hyperparameters: Hyperparameters },
) {
  const project = await requireProject(db, principal, projectId, 'EDITOR');
  const block = await blockOf(db, projectId, learnId);
  const settings = { ...(block.settings as LearnBlockSettings), ...stripUndefined(patch) };
  const datasetResourceId = await learnBlockDataset(db, projectId, settings);
  const { definition, hyperparameters } = toTraining(settings, datasetResourceId, block);
  const created = await createCheckedTraining(
    db,
    principal,
    { project, learnBlockId: block.id },
    {
      projectId,
      name: block.title || block.name,
      source,
      definition,
      hyperparameters,
      learnBlockId: block.id,
    },
  );
  await db.learnBlock.update({
    where: { id: block.id },
    data: { settings: settings as Prisma.InputJsonValue },
  });
  return created;
}

/** The newest finished execution of a learn block (training metadata). */
export async function lastLearnBlockExecution(
  db: Db,
  principal: Principal,
  projectId: number,
  learnId: number,
) {
  const block = await getLearnBlock(db, principal, projectId, learnId);
  const execution = await db.execution.findFirst({
    where: { projectId, task: { learnBlockId: block.id, deletedAt: null }, status: 'COMPLETED' },
    orderBy: { id: 'desc' },
  });
  return { block, execution };
}
