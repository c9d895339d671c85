import { OutboxRepository } from '@bulk-export/persistence';
import { Logger, Metrics } from '@bulk-export/observability';
import { KafkaClient } from './kafka.client';
import { PollLoop } from './poll-loop';

/** Rows published per batch, published rows deleted per batch, and how many polls apart the deletes run. */
const BATCH = 500;
const DELETE_BATCH = 1000;
const CLEANUP_EVERY_POLLS = 10;

/**
 * Publishes the outbox to Kafka: polls, and is nudged after every commit that appended to
 * the outbox (OutboxRepository.onAppended), so a command does not wait for the next poll. Several relays (replicas,
 * services) may run:
 * each row is locked by one of them. Publishing is at least once. Published rows are
 * deleted once older than the retention, in batches, at most every CLEANUP_EVERY_POLLS polls.
 */
export class OutboxRelay {
  private readonly loop: PollLoop;
  private lastCount = 0;
  private lastCleanup = 0;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly kafka: KafkaClient,
    private readonly pollMs: number,
    private readonly retentionMs: number,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    this.loop = new PollLoop(() => this.drainAll(), pollMs);
    // Whoever appends to the outbox wakes the relay once the transaction commits.
    outbox.onAppended(() => this.nudge());
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Publish soon, without waiting for the next poll. */
  nudge(): void {
    this.loop.nudge();
  }

  private get stopped(): boolean {
    return this.loop.stopped;
  }

  private async drainAll(): Promise<void> {
    try {
      while (!this.stopped) {
        const sent = await this.outbox.drain(BATCH, async (messages) => {
          const byTopic = new Map<string, { key: string | null; value: string }[]>();
          for (const m of messages) {
            const list = byTopic.get(m.topic) ?? [];
            list.push({ key: m.key, value: JSON.stringify(m.payload) });
            byTopic.set(m.topic, list);
          }
          await this.kafka.producer.sendBatch({
            acks: -1,
            topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })),
          });
        });
        if (sent < BATCH) break;
      }
      if (Date.now() - this.lastCleanup >= CLEANUP_EVERY_POLLS * this.pollMs) {
        this.lastCleanup = Date.now();
        await this.deleteOld();
      }
      if (Date.now() - this.lastCount > 5000) {
        this.lastCount = Date.now();
        this.metrics.outboxPending.set(await this.outbox.pendingCount());
      }
    } catch (e) {
      this.logger.warn('outbox publish failed; will retry', { error: e });
    }
  }

  /** Deletes published rows older than the retention, a batch at a time so no transaction grows with the backlog. */
  private async deleteOld(): Promise<void> {
    const before = new Date(Date.now() - this.retentionMs);
    let total = 0;
    let deleted: number;
    do {
      deleted = await this.outbox.deletePublished(before, DELETE_BATCH);
      total += deleted;
    } while (deleted === DELETE_BATCH && !this.stopped);
    if (total > 0) this.logger.debug('published outbox rows deleted', { count: total });
  }
}
