import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import type { PartitionRanges, RunStatus } from '@bulk-export/domain';
import {
  claimed,
  failed,
  mayPause,
  newId,
  oneTimeExportAfter,
  pausedExport,
  pauseReason,
  plannable,
  retriedByHand,
  takeoversWithin,
} from '@bulk-export/domain';
import { Export, ExportRun } from '../entities';
import { OutboxRepository } from './outbox.repository';
import { applyToExport, applyToRun, contextOf, MessagesOf, RunContext, RunHolder } from './run-writes';

/**
 * The lifecycle of runs. Every transition is conditional on the run's current attempt and
 * status, so a stale worker or a duplicated command changes nothing, and each transition
 * writes its outbox messages in the same transaction. The rules are in run-rules.
 */
@Injectable()
export class RunsRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxRepository,
  ) {}

  /** The run of the window just before this one, if it recorded where it stopped reading. */
  async previousOffsets(run: ExportRun): Promise<PartitionRanges | null> {
    const previous = await this.dataSource
      .getRepository(ExportRun)
      .findOneBy({ exportId: run.exportId, windowEnd: run.windowStart });
    return previous?.offsets ?? null;
  }

  /**
   * Puts a failed run up for another attempt now (a manual retry). Null when the run is
   * not failed or its export was stopped. A one-time export goes back to `pending`.
   * Locks the export first, as stopping does, so a stop cannot slip in between.
   */
  async retryFailed(
    exportId: string,
    runId: string,
    messages: MessagesOf<{ run: ExportRun; exportRow: Export }>,
  ): Promise<ExportRun | null> {
    return this.dataSource.transaction(async (manager) => {
      const exportRow = await manager
        .createQueryBuilder(Export, 'e')
        .where({ id: exportId })
        .setLock('pessimistic_write')
        .getOne();
      if (!exportRow || exportRow.status === 'stopped') return null;
      const run = await manager
        .createQueryBuilder(ExportRun, 'r')
        .where({ id: runId, exportId, status: 'failed' })
        .setLock('pessimistic_write')
        .getOne();
      if (!run) return null;
      await applyToRun(manager, run, retriedByHand(run.attempt));
      await applyToExport(manager, exportRow, oneTimeExportAfter(exportRow, 'retried by hand'));
      await this.outbox.add(manager, messages({ run, exportRow }));
      return run;
    });
  }

  /** Runs whose retry is due: moves each to its next emission and writes its messages. */
  async emitDueRetries(now: Date, limit: number, messages: MessagesOf<{ run: ExportRun }>): Promise<ExportRun[]> {
    return this.dataSource.transaction(async (manager) => {
      const due = await manager
        .createQueryBuilder(ExportRun, 'r')
        .where(`r.status = 'pending' AND r.next_attempt_at <= :now`, { now })
        // Stopping cancels waiting retries; this keeps one that got past it from being emitted. A paused export's wait
        // for its resume.
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
   * Claims attempt `attempt` of a run for planning; null when the command is stale (another
   * attempt, or not plannable). A redelivered command claims it again (its worker died, or
   * lost the command in a rebalance and works on): the claim is replaced, so whatever the
   * old worker still writes is refused. The offsets an earlier attempt recorded stay: a
   * retry reads exactly those. Past `maxTakeovers` this throws TakenOverTooOften.
   */
  async startExtraction(
    runId: string,
    attempt: number,
    messages: MessagesOf<RunContext>,
    maxTakeovers = Number.POSITIVE_INFINITY,
  ): Promise<RunContext | null> {
    return this.dataSource.transaction(async (manager) => {
      const run = await this.lockRun(manager, runId, attempt, ['pending', 'running']);
      const exportRow = run && (await manager.findOneByOrFail(Export, { id: run.exportId }));
      if (!run || !exportRow || !plannable(run, exportRow.status)) return null;
      const wasPending = run.status === 'pending';
      const takeovers = takeoversWithin(run, maxTakeovers, 'extractor');
      await applyToRun(manager, run, claimed(newId(), takeovers, new Date()));
      await applyToExport(manager, exportRow, oneTimeExportAfter(exportRow, 'started'));
      const ctx = await contextOf(manager, run, exportRow);
      if (wasPending) await this.outbox.add(manager, messages(ctx));
      return ctx;
    });
  }

  /**
   * Records a failed attempt (failed): retried at `retryAt`, or failed for good, which may
   * pause a recurring export (pauseReason over its last `autoPauseAfter` runs). Locks the
   * export before the run, so a concurrent stop either sees the retry and cancels it or is
   * seen here. False when `holder` no longer holds the run; a holder without a claim (a
   * given-up command, RunLifecycle.giveUp) fails the attempt whoever holds it.
   */
  async fail(
    runId: string,
    holder: RunHolder | Pick<RunHolder, 'attempt'>,
    error: string,
    retryAt: Date | null,
    messages: MessagesOf<RunContext & { paused: boolean }>,
    autoPauseAfter = 0,
  ): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const current = await manager.findOneBy(ExportRun, { id: runId });
      if (!current) return false;
      // Exclusive: pausing changes the export (a stop takes the same lock).
      const exportRow = await manager
        .createQueryBuilder(Export, 'e')
        .where({ id: current.exportId })
        .setLock('pessimistic_write')
        .getOneOrFail();
      const run = await this.lockRun(
        manager,
        runId,
        holder.attempt,
        ['pending', 'running'],
        'claim' in holder ? holder.claim : undefined,
      );
      if (!run) return false;
      await applyToRun(
        manager,
        run,
        failed(holder.attempt, error, retryAt, exportRow.status === 'stopped', new Date()),
      );
      if (!retryAt) await applyToExport(manager, exportRow, oneTimeExportAfter(exportRow, 'failed for good', error));
      const paused = mayPause(run, exportRow) && (await this.pause(manager, exportRow, autoPauseAfter));
      await this.outbox.add(manager, messages({ ...(await contextOf(manager, run, exportRow)), paused }));
      return true;
    });
  }

  /** The run, locked, if it is at `attempt` in one of `statuses` (and, with `claim`, still held by it). */
  async lockRun(
    manager: EntityManager,
    runId: string,
    attempt: number,
    statuses: RunStatus[],
    claim?: string,
  ): Promise<ExportRun | null> {
    return manager
      .createQueryBuilder(ExportRun, 'r')
      .where({ id: runId, attempt, status: In(statuses), ...(claim === undefined ? {} : { claim }) })
      .setLock('pessimistic_write')
      .getOne();
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
    if (reason) await applyToExport(manager, exportRow, pausedExport(reason, new Date()));
    return reason !== null;
  }
}
