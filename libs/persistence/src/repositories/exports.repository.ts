import { Injectable } from '@nestjs/common';
import { DataSource, In, LessThan } from 'typeorm';
import { Export, ExportFile, ExportRun } from '../entities';
import { OutboxEntry, OutboxRepository } from './outbox.repository';
import { cancelNotStartedRuns } from './run-writes';

/** Exports, as the Activity Log shows them. Reads are scoped to an account. */
@Injectable()
export class ExportsRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxRepository,
  ) {}

  /** Saves a new export and the messages announcing it, in one transaction. */
  async create(exportRow: Export, messages: OutboxEntry[]): Promise<Export> {
    return this.dataSource.transaction(async (manager) => {
      const saved = await manager.save(Export, exportRow);
      await this.outbox.add(manager, messages);
      return saved;
    });
  }

  async findByIdempotencyKey(accountId: string, idempotencyKey: string): Promise<Export | null> {
    return this.dataSource.getRepository(Export).findOneBy({ accountId, idempotencyKey });
  }

  /** A recurring profile export of the account that is still scheduled, if any. */
  async findScheduledRecurring(accountId: string, type: Export['type']): Promise<Export | null> {
    return this.dataSource
      .getRepository(Export)
      .findOneBy({ accountId, type, frequency: 'recurring', status: In(['pending', 'paused']) });
  }

  /**
   * Stops a recurring export: no window is emitted after this; a run under way finishes;
   * runs that have not started end `cancelled` in the same transaction (`messages` gets
   * their ids). Returns the export as it is after the call (already stopped is fine), or null.
   */
  async stop(
    accountId: string,
    id: string,
    messages: (e: Export, cancelledRunIds: string[]) => OutboxEntry[],
  ): Promise<Export | null> {
    return this.dataSource.transaction(async (manager) => {
      const exportRow = await manager
        .createQueryBuilder(Export, 'e')
        .where({ id, accountId })
        .setLock('pessimistic_write')
        .getOne();
      if (!exportRow || exportRow.frequency !== 'recurring' || exportRow.status === 'stopped') return exportRow;
      exportRow.status = 'stopped';
      exportRow.stoppedAt = new Date();
      await manager.update(Export, id, { status: 'stopped', stoppedAt: exportRow.stoppedAt });
      const cancelled = await cancelNotStartedRuns(manager, id);
      await this.outbox.add(manager, messages(exportRow, cancelled));
      return exportRow;
    });
  }

  /**
   * Resumes a paused recurring export: the scheduler then creates the windows it missed, one
   * after another, and retries that waited go out. Returns the export as it is after the
   * call (null when unknown); `resumed` is false when it was not paused.
   */
  async resume(
    accountId: string,
    id: string,
    messages: (e: Export) => OutboxEntry[],
  ): Promise<{ exportRow: Export; resumed: boolean } | null> {
    return this.dataSource.transaction(async (manager) => {
      const exportRow = await manager
        .createQueryBuilder(Export, 'e')
        .where({ id, accountId })
        .setLock('pessimistic_write')
        .getOne();
      if (!exportRow) return null;
      if (exportRow.status !== 'paused') return { exportRow, resumed: false };
      Object.assign(exportRow, { status: 'pending', pausedAt: null, error: null });
      await manager.update(Export, id, { status: 'pending', pausedAt: null, error: null });
      await this.outbox.add(manager, messages(exportRow));
      return { exportRow, resumed: true };
    });
  }

  async findForAccount(accountId: string, id: string): Promise<Export | null> {
    return this.dataSource.getRepository(Export).findOneBy({ id, accountId });
  }

  /** Newest first; `before` is the id of the last export of the previous page. */
  async listForAccount(accountId: string, limit: number, before?: string): Promise<Export[]> {
    return this.dataSource.getRepository(Export).find({
      where: before ? { accountId, id: LessThan(before) } : { accountId },
      order: { id: 'DESC' },
      take: limit,
    });
  }

  /** A page of an export's runs, newest first; `before` is the id of the last run of the previous page. */
  async runsPage(exportId: string, limit: number, before?: string): Promise<ExportRun[]> {
    const qb = this.dataSource
      .getRepository(ExportRun)
      .createQueryBuilder('r')
      .where('r.export_id = :exportId', { exportId });
    if (before) qb.andWhere('r.id < :before', { before });
    return qb.orderBy('r.id', 'DESC').limit(limit).getMany();
  }

  async runsOf(exportIds: string[]): Promise<ExportRun[]> {
    if (exportIds.length === 0) return [];
    return this.dataSource.getRepository(ExportRun).find({
      where: { exportId: In(exportIds) },
      order: { windowStart: 'DESC' },
    });
  }

  async filesOf(runIds: string[]): Promise<ExportFile[]> {
    if (runIds.length === 0) return [];
    return this.dataSource.getRepository(ExportFile).find({
      where: { runId: In(runIds) },
      order: { eventName: 'ASC', day: 'ASC', fileIndex: 'ASC' },
    });
  }
}
