import { EntityManager } from 'typeorm';
import type { ExportChange, RunChange } from '@bulk-export/domain';
import { CANCELLED_BY_STOP, completed, newId, oneTimeExportAfter } from '@bulk-export/domain';
import { Account, Export, ExportFile, ExportRun } from '../entities';
import { OutboxEntry } from './outbox.repository';

/*
 * What the run repositories (RunsRepository, RunTasksRepository, and stopping in
 * ExportsRepository) write inside their transactions: a transition's changes (run-rules)
 * applied to the locked rows, and what a run's messages are made from.
 */

/** A run with what a worker needs to act on it. */
export interface RunContext {
  run: ExportRun;
  exportRow: Export;
  account: Account;
}

export type FileRecord = Omit<ExportFile, 'id' | 'runId' | 'createdAt'>;

/** A worker's hold on a run: the attempt and the claim it got from startExtraction. */
export interface RunHolder {
  attempt: number;
  claim: string;
}

/** The outbox messages of a transition, made from what it changed (in its transaction). */
export type MessagesOf<T> = (ctx: T) => OutboxEntry[];

/**
 * Ends the runs of export `exportId` that have not started — emitted or waiting for a
 * retry — as `cancelled`, in the caller's transaction (the one that stops the export).
 * Returns their ids.
 */
export async function cancelNotStartedRuns(manager: EntityManager, exportId: string): Promise<string[]> {
  const result = await manager
    .createQueryBuilder()
    .update(ExportRun)
    .set({ status: 'cancelled', error: CANCELLED_BY_STOP, nextAttemptAt: null, finishedAt: () => 'now()' })
    .where({ exportId, status: 'pending' })
    .returning(['id'])
    .execute();
  return (result.raw as { id: string }[]).map((r) => r.id);
}

/**
 * Records the files of a finished run (in the caller's transaction, the run locked) and
 * marks it done, and a one-time export with it. Files of an earlier attempt are replaced: a
 * retry rewrote the same object names.
 */
export async function completeRun(manager: EntityManager, run: ExportRun, files: FileRecord[]): Promise<RunContext> {
  await manager.delete(ExportFile, { runId: run.id });
  if (files.length > 0)
    await manager.insert(
      ExportFile,
      files.map((f) => ({ ...f, id: newId(), runId: run.id })),
    );
  await applyToRun(manager, run, completed(files, new Date()));
  const ctx = await contextOf(manager, run);
  await applyToExport(manager, ctx.exportRow, oneTimeExportAfter(ctx.exportRow, 'done'));
  return ctx;
}

/** The run's export and account, loaded in the caller's transaction. */
export async function contextOf(manager: EntityManager, run: ExportRun, exportRow?: Export): Promise<RunContext> {
  const theExport = exportRow ?? (await manager.findOneByOrFail(Export, { id: run.exportId }));
  return { run, exportRow: theExport, account: await manager.findOneByOrFail(Account, { id: theExport.accountId }) };
}

/** Writes a run's change (run-rules) and keeps the loaded row in step. */
export async function applyToRun(manager: EntityManager, run: ExportRun, change: RunChange): Promise<void> {
  Object.assign(run, change);
  await manager.update(ExportRun, run.id, change);
}

/** Writes an export's change (run-rules), if any, and keeps the loaded row in step. */
export async function applyToExport(
  manager: EntityManager,
  exportRow: Export,
  change: ExportChange | null,
): Promise<void> {
  if (!change) return;
  Object.assign(exportRow, change);
  await manager.update(Export, exportRow.id, change);
}
