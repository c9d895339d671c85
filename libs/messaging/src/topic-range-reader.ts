import { KafkaMessage } from 'kafkajs';
import { Logger } from '@bulk-export/observability';
import { KafkaClient } from './kafka.client';

/** Offsets [start, end) of one partition. */
export interface OffsetRange {
  partition: number;
  start: bigint;
  end: bigint;
}

/**
 * The offsets that bound a window of capture time on each partition: the first offset
 * whose timestamp is at or after `startMs`, up to the first at or after `endMs` (the high
 * watermark when there is none). Consecutive windows therefore share their boundary
 * offsets: no gap, no overlap. Empty when the topic does not exist (nothing was captured).
 */
export async function windowOffsets(kafka: KafkaClient, topic: string, startMs: number, endMs: number): Promise<OffsetRange[]> {
  const topics = await kafka.admin.listTopics();
  if (!topics.includes(topic)) return [];
  const [starts, ends] = await Promise.all([
    kafka.admin.fetchTopicOffsetsByTimestamp(topic, startMs),
    kafka.admin.fetchTopicOffsetsByTimestamp(topic, endMs),
  ]);
  return starts
    .map(({ partition, offset }) => ({
      partition,
      start: BigInt(offset),
      end: BigInt(ends.find((e) => e.partition === partition)?.offset ?? offset),
    }))
    .sort((a, b) => a.partition - b.partition);
}

export interface ReadRangesOptions {
  topic: string;
  ranges: OffsetRange[];
  /** A consumer group of its own, used only for this read (and deleted after). */
  groupId: string;
  /** Receives the messages of one fetch of one partition, all inside the range, in offset order. */
  onMessages(partition: number, messages: KafkaMessage[]): Promise<void> | void;
  /** Fails the read if no message arrives for this long while ranges remain. */
  idleTimeoutMs?: number;
}

/**
 * Reads exactly the given offset ranges of a topic, in batches, and returns when every
 * range is read. Nothing is committed: the reader's progress is the staging it feeds.
 */
export async function readRanges(kafka: KafkaClient, logger: Logger, options: ReadRangesOptions): Promise<void> {
  const remaining = new Map(options.ranges.filter((r) => r.end > r.start).map((r) => [r.partition, r]));
  if (remaining.size === 0) return;
  const consumer = kafka.kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: 30_000,
    maxBytesPerPartition: 8 * 1024 * 1024,
    maxBytes: 64 * 1024 * 1024,
    maxWaitTimeInMs: 250,
    allowAutoTopicCreation: false,
  });
  let settle: (error?: Error) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  const idleMs = options.idleTimeoutMs ?? 60_000;
  let lastProgress = Date.now();
  const watchdog = setInterval(() => {
    if (Date.now() - lastProgress > idleMs) {
      settle(new Error(`no message arrived from ${options.topic} for ${idleMs / 1000}s while ${remaining.size} partition(s) were unfinished`));
    }
  }, 1000);
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) settle(event.payload.error);
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      // Resolving moves the fetch position forward; nothing is committed (autoCommit is off).
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat, pause }) => {
        const range = remaining.get(batch.partition);
        if (!range) return;
        const inRange = batch.messages.filter((m) => {
          const offset = BigInt(m.offset);
          return offset >= range.start && offset < range.end;
        });
        if (inRange.length > 0) {
          await options.onMessages(batch.partition, inRange);
          lastProgress = Date.now();
        }
        await heartbeat();
        const last = batch.messages.length ? BigInt(batch.messages[batch.messages.length - 1].offset) : -1n;
        if (last >= range.end - 1n) {
          remaining.delete(batch.partition);
          pause();
          if (remaining.size === 0) settle();
        }
      },
    });
    for (const r of options.ranges) {
      consumer.seek({ topic: options.topic, partition: r.partition, offset: r.start.toString() });
    }
    await done;
  } finally {
    clearInterval(watchdog);
    await consumer.disconnect().catch(() => undefined);
    await kafka.admin.deleteGroups([options.groupId]).catch((e: unknown) => logger.debug('could not delete read group', { error: e }));
  }
}
