import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, EntitySubscriberInterface, IsNull, TransactionCommitEvent } from 'typeorm';
import { OutboxMessage } from '../entities';

export interface OutboxEntry {
  topic: string;
  key: string | null;
  payload: object;
}

/** Marks a transaction that appended to the outbox (in its query runner's data). */
const APPENDED = 'outboxAppended';

/**
 * The outbox: written inside the caller's transaction, drained by the relay. Whoever
 * appends wakes the relays of this process once the transaction commits (`onAppended`), so
 * a command does not wait for the next poll and no caller has to remember to say so.
 */
@Injectable()
export class OutboxRepository {
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly dataSource: DataSource) {
    const subscriber: EntitySubscriberInterface = {
      afterTransactionCommit: (event: TransactionCommitEvent) => {
        const data = event.queryRunner.data as Record<string, unknown>;
        if (!data[APPENDED]) return;
        data[APPENDED] = false;
        this.appended();
      },
    };
    dataSource.subscribers.push(subscriber);
  }

  /** Called after each commit that appended messages (the relay's nudge). */
  onAppended(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Adds messages in the transaction of `manager`; they are published only if it commits. */
  async add(manager: EntityManager, entries: OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await manager.insert(
      OutboxMessage,
      entries.map((e) => ({ topic: e.topic, key: e.key, payload: e.payload })),
    );
    const runner = manager.queryRunner;
    if (runner?.isTransactionActive) (runner.data as Record<string, unknown>)[APPENDED] = true;
    else this.appended();
  }

  private appended(): void {
    for (const listener of this.listeners) listener();
  }

  /**
   * Locks up to `limit` unpublished messages (other relays skip them), hands them to
   * `publish`, and marks them published only if it succeeds. Returns how many were sent.
   */
  async drain(limit: number, publish: (messages: OutboxMessage[]) => Promise<void>): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const messages = await manager
        .createQueryBuilder(OutboxMessage, 'o')
        .where('o.published_at IS NULL')
        .orderBy('o.id', 'ASC')
        .limit(limit)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      if (messages.length === 0) return 0;
      await publish(messages);
      await manager.update(
        OutboxMessage,
        messages.map((m) => m.id),
        { publishedAt: new Date() },
      );
      return messages.length;
    });
  }

  /**
   * Deletes up to `limit` published messages published before `before`, oldest first
   * (rows another relay holds are skipped). Returns how many were deleted.
   */
  async deletePublished(before: Date, limit: number): Promise<number> {
    const [, deleted] = (await this.dataSource.query(
      `DELETE FROM outbox WHERE id IN (
         SELECT id FROM outbox WHERE published_at < $1 ORDER BY published_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [before, limit],
    )) as [unknown, number];
    return deleted;
  }

  async pendingCount(): Promise<number> {
    return this.dataSource.getRepository(OutboxMessage).countBy({ publishedAt: IsNull() });
  }
}
