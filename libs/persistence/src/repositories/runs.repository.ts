import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import type { ExportStatus, PartitionRanges, RunChange, RunStatus } from '@bulk-export/domain';
import { claimed, failed, newId, oneTimeExportAfter, pauseReason, retriedByHand, takeoversOnClaim } from '@bulk-export/domain';
import { Account, Export, ExportFile, ExportRun } from '../entities';
import { OutboxEntry, OutboxRepository } from './outbox.repository';

/** Why the runs of a stopped export that had not started end `cancelled`. */
export const CANCELLED_BY_STOP = 'the export was stopped before this run started';

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
 * The attempt was taken over more often than allowed: every worker that took its command
 * stopped before finishing it (a command that crashes its worker, e.g. out of memory).
 * Nothing was changed; the caller ends the attempt (RunLifecycle.giveUp).
 */
export class TakenOverTooOften extends Error {
  constructor(
    readonly takeovers: number,
    worker: string,
  ) {
    super(
      `the ${worker} working on this attempt stopped ${takeovers} times before finishing it (it crashed, was killed, for example for using too much memory, or lost its command in a Kafka rebalance while still busy): see the ${worker}'s logs and restarts`,
    );
  }
}

/**
 * Records the files of a finished run (in the caller's transaction, the run locked) and
 * marks it done, and a one-time export with it. Files of an earlier attempt are replaced: a
 * retry rewrote the same object names.
 */
export async function completeRun(manager: EntityManager, run: ExportRun, files: FileRecord[]): Promise<RunContext> {
  await manager.delete(ExportFile, { runId: run.id });
  if (files.length > 0) {
    await manager.insert(
      ExportFile,
      files.map((f) => ({ ...f, id: newId(), runId: run.id })),
    );
  }
  Object.assign(run, {
    status: 'done' as RunStatus,
    rowsWritten: files.reduce((n, f) => n + f.rows, 0),
    bytesWritten: files.reduce((n, f) => n + f.bytes, 0),
    filesCount: files.length,
    finishedAt: new Date(),
    error: null,
    claim: null,
  });
  await manager.update(ExportRun, run.id, {
    status: run.status,
    rowsWritten: run.rowsWritten,
    bytesWritten: run.bytesWritten,
    filesCount: run.filesCount,
    finishedAt: run.finishedAt,
    error: null,
    claim: null,
  });
  const exportRow = await manager.findOneByOrFail(Export, { id: run.exportId });
  const settled = oneTimeExportAfter(exportRow, 'done');
  if (settled) {
    Object.assign(exportRow, settled);
    await manager.update(Export, exportRow.id, settled);
  }
  const account = await manager.findOneByOrFail(Account, { id: exportRow.accountId });
  return { run, exportRow, account };
}

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

/**
 * The lifecycle of runs. Every transition is conditional on the run's current attempt and
 * status, so a stale worker or a duplicated command changes nothing, and each transition
 * writes its outbox messages in the same transaction.
 */
@Injectable()
export class RunsRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxRepository,
  ) {}

  /**
   * Creates the run of every one-time export whose window is due and has no run yet.
   * The unique (export, window start) key makes this safe with several schedulers.
   */
  async createDueOneTimeRuns(
    dueBefore: Date,
    limit: number,
    messages: (ctx: { run: ExportRun; exportRow: Export }) => OutboxEntry[],
  ): Promise<ExportRun[]> {
    return this.dataSource.transaction(async (manager) => {
      const due: Export[] = await manager
        .createQueryBuilder(Export, 'e')
        .where(`e.frequency = 'one_time' AND e.status = 'pending' AND e.window_to <= :dueBefore`, { dueBefore })
        .andWhere(`NOT EXISTS (SELECT 1 FROM export_runs r WHERE r.export_id = e.id)`)
        .orderBy('e.window_to', 'ASC')
        .limit(limit)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      const created: ExportRun[] = [];
      for (const exportRow of due) {
        const run = await this.insertRun(manager, exportRow, { start: exportRow.windowFrom.getTime(), end: (exportRow.windowTo as Date).getTime() }, messages);
        if (run) created.push(run);
      }
      return created;
    });
  }

  /**
   * Creates the runs of the recurring exports' due windows, oldest first, and writes their
   * messages. `windowsOf` says which windows are due given the export and the end of its
   * last window. An export gets a new run only while none of its runs is under way (a run
   * waiting for a retry does not count), so a window starts from the offsets where the
   * previous one ended; a scheduler that was down catches up one window after another.
   * Locks each export (SKIP LOCKED) and relies on the unique (export, window start) key,
   * so several schedulers never create a window twice.
   *
   * Only exports whose next window has closed by `dueBefore` are taken (its length is
   * `interval_hours × hourMs`): choosing `limit` exports first and deciding due-ness
   * afterwards let exports that were not due fill every batch, so due ones behind them
   * never got their window. `windowsOf` still works the window out.
   */
  async createDueRecurringRuns(
    dueBefore: Date,
    hourMs: number,
    limit: number,
    windowsOf: (exportRow: Export, lastEnd: Date | null) => { start: number; end: number }[],
    messages: (ctx: { run: ExportRun; exportRow: Export }) => OutboxEntry[],
  ): Promise<ExportRun[]> {
    return this.dataSource.transaction(async (manager) => {
      const scheduled: Export[] = await manager
        .createQueryBuilder(Export, 'e')
        .where(`e.frequency = 'recurring' AND e.status = 'pending'`)
        .andWhere(
          `NOT EXISTS (SELECT 1 FROM export_runs r WHERE r.export_id = e.id
             AND (r.status = 'running' OR (r.status = 'pending' AND r.next_attempt_at IS NULL)))`,
        )
        .andWhere(
          `COALESCE((SELECT max(r.window_end) FROM export_runs r WHERE r.export_id = e.id), e.window_from)
             + e.interval_hours * CAST(:hourMs AS bigint) * interval '1 millisecond' <= :dueBefore`,
          { hourMs, dueBefore },
        )
        .orderBy('e.id', 'ASC')
        .limit(limit)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      const created: ExportRun[] = [];
      for (const exportRow of scheduled) {
        const [last] = await manager.find(ExportRun, { where: { exportId: exportRow.id }, order: { windowEnd: 'DESC' }, take: 1 });
        const [window] = windowsOf(exportRow, last?.windowEnd ?? null);
        const run = window ? await this.insertRun(manager, exportRow, window, messages) : null;
        if (run) created.push(run);
      }
      return created;
    });
  }

  /** The run of the window just before this one, if it recorded where it stopped reading. */
  async previousOffsets(run: ExportRun): Promise<PartitionRanges | null> {
    const previous = await this.dataSource.getRepository(ExportRun).findOneBy({ exportId: run.exportId, windowEnd: run.windowStart });
    return previous?.offsets ?? null;
  }

  /** Newest first; `before` is the id of the last run of the previous page. */
  async listForExport(exportId: string, limit: number, before?: string): Promise<ExportRun[]> {
    const qb = this.dataSource.getRepository(ExportRun).createQueryBuilder('r').where('r.export_id = :exportId', { exportId });
    if (before) qb.andWhere('r.id < :before', { before });
    return qb.orderBy('r.id', 'DESC').limit(limit).getMany();
  }

  /**
   * Puts a failed run up for another attempt now (a manual retry). Null when the run is
   * not failed or its export was stopped. A one-time export goes back to `pending`.
   * Locks the export first, as stopping does, so a stop cannot slip in between.
   */
  async retryFailed(exportId: string, runId: string, messages: (ctx: { run: ExportRun; exportRow: Export }) => OutboxEntry[]): Promise<ExportRun | null> {
    return this.dataSource.transaction(async (manager) => {
      const exportRow = await manager.createQueryBuilder(Export, 'e').where({ id: exportId }).setLock('pessimistic_write').getOne();
      if (!exportRow || exportRow.status === 'stopped') return null;
      const run = await manager
        .createQueryBuilder(ExportRun, 'r')
        .where({ id: runId, exportId, status: 'failed' })
        .setLock('pessimistic_write')
        .getOne();
      if (!run) return null;
      await this.apply(manager, run, retriedByHand(run.attempt));
      await this.settleExport(manager, exportRow, oneTimeExportAfter(exportRow, 'retried by hand'));
      await this.outbox.add(manager, messages({ run, exportRow }));
      return run;
    });
  }

  /** Runs whose retry is due: moves each to its next emission and writes its messages. */
  async emitDueRetries(now: Date, limit: number, messages: (ctx: { run: ExportRun }) => OutboxEntry[]): Promise<ExportRun[]> {
    return this.dataSource.transaction(async (manager) => {
      const due = await manager
        .createQueryBuilder(ExportRun, 'r')
        .where(`r.status = 'pending' AND r.next_attempt_at <= :now`, { now })
        // Stopping cancels waiting retries; this keeps one that got past it from being emitted. A paused export's wait for its resume.
        .andWhere(`NOT EXISTS (SELECT 1 FROM exports e WHERE e.id = r.export_id AND e.status IN ('stopped', 'paused'))`)
        .orderBy('r.next_attempt_at', 'ASC')
        .limit(limit)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      for (const run of due) {
        await manager.update(ExportRun, run.id, { nextAttemptAt: null });
        await this.outbox.add(manager, messages({ run }));
      }
      return due;
    });
  }

  /**
   * Claims attempt `attempt` of a run for extraction. Null when the command is stale (an
   * older attempt, or the run already moved past extraction). A redelivered command of
   * the current attempt claims it again: the previous worker died, or lost the command in a
   * rebalance and works on; its claim is replaced, so whatever it still writes is refused.
   * Once the attempt's tasks are planned, a redelivered command is stale (the tasks carry
   * the attempt on). The offsets an earlier attempt recorded stay: a retry reads exactly
   * those (planRanges).
   * Taking the attempt over from a worker that held it counts; past `maxTakeovers` this
   * throws TakenOverTooOften and claims nothing.
   */
  async startExtraction(
    runId: string,
    attempt: number,
    messages: (ctx: RunContext) => OutboxEntry[],
    maxTakeovers = Number.POSITIVE_INFINITY,
  ): Promise<RunContext | null> {
    return this.dataSource.transaction(async (manager) => {
      const run = await this.lockRun(manager, runId, attempt, ['pending', 'running']);
      if (!run || run.nextAttemptAt || run.phase) return null;
      const exportRow = await manager.findOneByOrFail(Export, { id: run.exportId });
      if (exportRow.status === 'stopped' && run.status === 'pending') return null;
      const account = await manager.findOneByOrFail(Account, { id: exportRow.accountId });
      const wasPending = run.status === 'pending';
      const takeovers = takeoversOnClaim(run);
      if (takeovers > maxTakeovers) throw new TakenOverTooOften(takeovers, 'extractor');
      await this.apply(manager, run, claimed(newId(), takeovers, new Date()));
      await this.settleExport(manager, exportRow, oneTimeExportAfter(exportRow, 'started'));
      const ctx = { run, exportRow, account };
      if (wasPending) await this.outbox.add(manager, messages(ctx));
      return ctx;
    });
  }

  /**
   * Records a failed attempt. With `retryAt`, the run waits as `pending` for its next
   * attempt (the scheduler emits it then); without, or when its export was stopped while
   * it ran, it stays `failed` with the reason. A recurring export whose last
   * `autoPauseAfter` runs have then failed for good is paused (pauseReason). Locks the export (shared) before the run,
   * so a concurrent stop either sees the retry and cancels it or is seen here. False when
   * `holder` no longer holds the run: a worker that lost it cannot fail the attempt of
   * the one that has it. A holder without a claim fails the attempt whoever holds it: the
   * attempt's command was given up (see RunLifecycle.giveUp), so nobody works on it.
   */
  async fail(
    runId: string,
    holder: RunHolder | Pick<RunHolder, 'attempt'>,
    error: string,
    retryAt: Date | null,
    messages: (ctx: RunContext & { paused: boolean }) => OutboxEntry[],
    autoPauseAfter = 0,
  ): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const current = await manager.findOneBy(ExportRun, { id: runId });
      if (!current) return false;
      // Exclusive: pausing changes the export (a stop takes the same lock).
      const exportRow = await manager.createQueryBuilder(Export, 'e').where({ id: current.exportId }).setLock('pessimistic_write').getOneOrFail();
      const run = await this.lockRun(manager, runId, holder.attempt, ['pending', 'running'], 'claim' in holder ? holder.claim : undefined);
      if (!run) return false;
      await this.apply(manager, run, failed(holder.attempt, error, retryAt, exportRow.status === 'stopped', new Date()));
      if (!retryAt) await this.settleExport(manager, exportRow, oneTimeExportAfter(exportRow, 'failed for good', error));
      const paused = run.status === 'failed' && exportRow.frequency === 'recurring' && exportRow.status === 'pending' && (await this.pause(manager, exportRow, autoPauseAfter));
      const account = await manager.findOneByOrFail(Account, { id: exportRow.accountId });
      await this.outbox.add(manager, messages({ run, exportRow, account, paused }));
      return true;
    });
  }

  /** Inserts the run of `window` (none if the unique (export, window start) key has it already) and writes its messages. */
  private async insertRun(
    manager: EntityManager,
    exportRow: Export,
    window: { start: number; end: number },
    messages: (ctx: { run: ExportRun; exportRow: Export }) => OutboxEntry[],
  ): Promise<ExportRun | null> {
    const run = manager.create(ExportRun, { id: newId(), exportId: exportRow.id, windowStart: new Date(window.start), windowEnd: new Date(window.end), status: 'pending', attempt: 1 });
    const inserted = await manager.createQueryBuilder().insert().into(ExportRun).values(run).orIgnore().returning('id').execute();
    if (inserted.raw.length === 0) return null;
    await this.outbox.add(manager, messages({ run, exportRow }));
    return run;
  }

  /** Writes a run's change (run-rules) and keeps the loaded row in step. */
  private async apply(manager: EntityManager, run: ExportRun, change: RunChange): Promise<void> {
    Object.assign(run, change);
    await manager.update(ExportRun, run.id, change);
  }

  /** Writes an export's status change (oneTimeExportAfter), if any, and keeps the loaded row in step. */
  private async settleExport(manager: EntityManager, exportRow: Export, change: { status: ExportStatus; error: string | null } | null): Promise<void> {
    if (!change) return;
    Object.assign(exportRow, change);
    await manager.update(Export, exportRow.id, change);
  }

  /** Pauses the (locked) recurring export when its latest ended runs all failed; true if it did. */
  private async pause(manager: EntityManager, exportRow: Export, threshold: number): Promise<boolean> {
    if (threshold <= 0) return false;
    const recent = await manager
      .createQueryBuilder(ExportRun, 'r')
      .where({ exportId: exportRow.id, status: In(['done', 'failed']) })
      .orderBy('r.window_end', 'DESC')
      .limit(threshold)
      .getMany();
    const reason = pauseReason(recent, threshold);
    if (!reason) return false;
    Object.assign(exportRow, { status: 'paused', pausedAt: new Date(), error: reason });
    await manager.update(Export, exportRow.id, { status: 'paused', pausedAt: exportRow.pausedAt, error: reason });
    return true;
  }

  /** The run, locked, if it is at `attempt` in one of `statuses` (and, with `claim`, still held by it). */
  async lockRun(manager: EntityManager, runId: string, attempt: number, statuses: RunStatus[], claim?: string): Promise<ExportRun | null> {
    return manager
      .createQueryBuilder(ExportRun, 'r')
      .where({ id: runId, attempt, status: In(statuses), ...(claim === undefined ? {} : { claim }) })
      .setLock('pessimistic_write')
      .getOne();
  }
}
