import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { newId } from '@bulk-export/domain';
import { Export, ExportRun } from '../entities';
import { OutboxRepository } from './outbox.repository';
import { MessagesOf } from './run-writes';

type Window = { start: number; end: number };

/**
 * The scheduler's side of runs: creating the run of each window that is due, with its
 * messages. Several schedulers may run: exports are locked (skipping those another holds),
 * and the unique (export, window start) key keeps a window to one run.
 */
@Injectable()
export class DueRunsRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxRepository,
  ) {}

  /** Creates the run of every one-time export whose window is due and has no run yet. */
  createDueOneTimeRuns(
    dueBefore: Date,
    limit: number,
    messages: MessagesOf<{ run: ExportRun; exportRow: Export }>,
  ): Promise<ExportRun[]> {
    const due = (manager: EntityManager) =>
      manager
        .createQueryBuilder(Export, 'e')
        .where(`e.frequency = 'one_time' AND e.status = 'pending' AND e.window_to <= :dueBefore`, { dueBefore })
        .andWhere(`NOT EXISTS (SELECT 1 FROM export_runs r WHERE r.export_id = e.id)`)
        .orderBy('e.window_to', 'ASC');
    return this.createRuns(due, limit, messages, async (_, e) => ({
      start: e.windowFrom.getTime(),
      end: (e.windowTo as Date).getTime(),
    }));
  }

  /**
   * Creates the runs of the recurring exports' due windows, oldest first (`windowsOf`, given
   * the end of the export's last window). An export gets a new run only while none of its
   * runs is under way (one waiting for a retry does not count), so a window starts from the
   * offsets where the previous one ended. Only exports whose next window (`interval_hours ×
   * hourMs`) has closed by `dueBefore` are selected, so exports not due never fill a batch.
   */
  createDueRecurringRuns(
    dueBefore: Date,
    hourMs: number,
    limit: number,
    windowsOf: (exportRow: Export, lastEnd: Date | null) => Window[],
    messages: MessagesOf<{ run: ExportRun; exportRow: Export }>,
  ): Promise<ExportRun[]> {
    const due = (manager: EntityManager) =>
      manager
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
        .orderBy('e.id', 'ASC');
    return this.createRuns(due, limit, messages, async (manager, exportRow) => {
      const [last] = await manager.find(ExportRun, {
        where: { exportId: exportRow.id },
        order: { windowEnd: 'DESC' },
        take: 1,
      });
      return windowsOf(exportRow, last?.windowEnd ?? null)[0];
    });
  }

  /**
   * Creates a run for each export `due` selects (at most `limit`, each locked, skipping those
   * another scheduler holds) whose `windowOf` is due, with its messages. The unique
   * (export, window start) key makes this safe with several schedulers.
   */
  private createRuns(
    due: (manager: EntityManager) => SelectQueryBuilder<Export>,
    limit: number,
    messages: MessagesOf<{ run: ExportRun; exportRow: Export }>,
    windowOf: (manager: EntityManager, exportRow: Export) => Promise<Window | undefined>,
  ): Promise<ExportRun[]> {
    return this.dataSource.transaction(async (manager) => {
      const exports = await due(manager).limit(limit).setLock('pessimistic_write').setOnLocked('skip_locked').getMany();
      const created: ExportRun[] = [];
      for (const exportRow of exports) {
        const window = await windowOf(manager, exportRow);
        const run = window ? await this.insertRun(manager, exportRow, window, messages) : null;
        if (run) created.push(run);
      }
      return created;
    });
  }

  /**
   * Inserts the run of `window` (none if the unique (export, window start) key has it already) and writes its messages.
   */
  private async insertRun(
    manager: EntityManager,
    exportRow: Export,
    window: Window,
    messages: MessagesOf<{ run: ExportRun; exportRow: Export }>,
  ): Promise<ExportRun | null> {
    const run = manager.create(ExportRun, {
      id: newId(),
      exportId: exportRow.id,
      windowStart: new Date(window.start),
      windowEnd: new Date(window.end),
      status: 'pending',
      attempt: 1,
    });
    const inserted = await manager
      .createQueryBuilder()
      .insert()
      .into(ExportRun)
      .values(run)
      .orIgnore()
      .returning('id')
      .execute();
    if (inserted.raw.length === 0) return null;
    await this.outbox.add(manager, messages({ run, exportRow }));
    return run;
  }
}
