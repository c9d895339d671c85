import { compressionsAlgorithms, Consumer } from '@platformatic/kafka';
import { decompress as zstdDecompress } from 'fzstd';
import { decompressFrameSync } from 'lz4-napi';
import { Logger } from '@bulk-export/observability';
import { KafkaClient } from './kafka.client';
import type { LogBounds } from './window-ranges';

/** Offsets [start, end) of one partition. */
export interface OffsetRange {
  partition: number;
  start: bigint;
  end: bigint;
}

/** One message of a range, as Kafka stored it; key and value are slices of the fetched batch. */
export interface RangeRecord {
  offset: bigint;
  /** Kafka's timestamp of the message, in milliseconds. */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

/**
 * The offsets that bound a window of capture time on each partition: the first offset
 * whose timestamp is at or after `startMs`, up to the first at or after `endMs` (the high
 * watermark when there is none). Consecutive windows therefore share their boundary
 * offsets: no gap, no overlap. Empty when the topic does not exist (nothing was captured).
 */
export async function windowOffsets(
  kafka: KafkaClient,
  topic: string,
  startMs: number,
  endMs: number,
): Promise<OffsetRange[]> {
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

/** The offsets each partition's log holds now, [low, high): where retention starts it and the high watermark. */
export async function logBounds(kafka: KafkaClient, topic: string): Promise<Map<number, LogBounds>> {
  const offsets = await kafka.admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
}

export interface ReadRangesOptions {
  topic: string;
  ranges: OffsetRange[];
  /** Receives the records of one fetched batch of one partition, all inside the range, in offset order. */
  onRecords(partition: number, records: RangeRecord[]): Promise<void> | void;
  /** Fails the read if no record arrives for this long while ranges remain. */
  idleTimeoutMs?: number;
  /** Bytes asked for per partition and fetch. */
  partitionMaxBytes?: number;
}

const IS_TRANSACTIONAL = 0x10;
const IS_CONTROL_BATCH = 0x20;
/** The topic stamps messages with the broker's time: the batch's max timestamp is every record's. */
const LOG_APPEND_TIME = 0x08;

let codecsSet = false;
const bytesOf = (data: unknown): Buffer => (Buffer.isBuffer(data) ? data : (data as { buffer: Buffer }).buffer);

/**
 * @platformatic/kafka decompresses LZ4 in WebAssembly; the native lz4-napi (already used
 * with kafkajs) reads a fetch about 30% faster. Node.js 20 has no zstd in zlib, so zstd
 * batches are decompressed with fzstd.
 */
function useNativeCodecs(): void {
  if (codecsSet) return;
  codecsSet = true;
  (compressionsAlgorithms.lz4 as { decompressSync(data: unknown): Buffer }).decompressSync = (data) =>
    decompressFrameSync(bytesOf(data));
  if (compressionsAlgorithms.zstd.available) return;
  (compressionsAlgorithms.zstd as { decompressSync(data: unknown): Buffer }).decompressSync = (data) =>
    Buffer.from(zstdDecompress(bytesOf(data)));
}

/**
 * Reads exactly the given offset ranges of a topic with plain Fetch requests to each
 * partition's leader (no consumer group, nothing committed: the reader's progress is the
 * staging it feeds) and returns when every range is read. The bulk read path uses
 * @platformatic/kafka, which decodes record batches into Buffers without kafkajs's
 * per-message objects; BENCHMARKS.md has the two side by side.
 */
export async function readRanges(
  kafka: Pick<KafkaClient, 'clientId' | 'brokers'>,
  logger: Pick<Logger, 'debug'>,
  options: ReadRangesOptions,
): Promise<void> {
  const remaining = new Map(
    options.ranges.filter((r) => r.end > r.start).map((r) => [r.partition, { ...r, next: r.start }]),
  );
  if (remaining.size === 0) return;
  useNativeCodecs();
  const client = new Consumer({
    clientId: kafka.clientId,
    groupId: `${kafka.clientId}.range-reader`,
    bootstrapBrokers: kafka.brokers,
    connectTimeout: 5000,
    timeout: 30_000,
    retries: 5,
  });
  const idleMs = options.idleTimeoutMs ?? 60_000;
  const partitionMaxBytes = options.partitionMaxBytes ?? 1024 * 1024;
  try {
    const metadata = await client.metadata({ topics: [options.topic] });
    const topic = metadata.topics.get(options.topic);
    if (!topic) throw new Error(`topic ${options.topic} does not exist`);
    // One stream of requests per leader, all partitions of that leader in each.
    const byLeader = new Map<number, number[]>();
    for (const partition of remaining.keys()) {
      const leader = topic.partitions[partition]?.leader;
      if (leader === undefined || leader < 0)
        throw new Error(`partition ${partition} of ${options.topic} has no leader`);
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), partition]);
    }
    // Records are delivered one batch at a time, in order, whichever leader they came from.
    let delivered: Promise<void> = Promise.resolve();
    const deliver = (partition: number, records: RangeRecord[]) => {
      delivered = delivered.then(() => options.onRecords(partition, records));
      return delivered;
    };

    const readFromLeader = async (node: number, partitions: number[]) => {
      const request = () => {
        const open = partitions.filter((p) => remaining.has(p));
        if (open.length === 0) return null;
        return client.fetch({
          node,
          maxWaitTime: 100,
          maxBytes: partitionMaxBytes * open.length,
          topics: [
            {
              topicId: topic.id,
              partitions: open.map((partition) => ({
                partition,
                currentLeaderEpoch: -1,
                fetchOffset: (remaining.get(partition) as { next: bigint }).next,
                lastFetchedEpoch: -1,
                partitionMaxBytes,
              })),
            },
          ],
        });
      };
      let pending = request();
      let lastProgress = Date.now();
      try {
        while (pending) {
          const response = await pending;
          const batches: [number, RangeRecord[]][] = [];
          for (const answer of response.responses.flatMap((t) => t.partitions)) {
            const range = remaining.get(answer.partitionIndex);
            if (!range) continue;
            const aborted = new AbortedTransactions(answer.abortedTransactions ?? []);
            for (const batch of answer.records ?? []) {
              const records: RangeRecord[] = [];
              // Control batches (transaction markers) and the batches of aborted transactions are no one's messages.
              const skip = aborted.skips(batch) || (batch.attributes & IS_CONTROL_BATCH) !== 0;
              const appendTime = (batch.attributes & LOG_APPEND_TIME) !== 0;
              for (const record of batch.records) {
                const offset = batch.firstOffset + BigInt(record.offsetDelta);
                if (offset < range.next || offset >= range.end) continue;
                range.next = offset + 1n;
                if (skip) continue;
                const timestamp = appendTime ? batch.maxTimestamp : batch.firstTimestamp + record.timestampDelta;
                records.push({ offset, timestamp, key: record.key, value: record.value });
              }
              // A batch always ends at firstOffset + lastOffsetDelta, even when compaction removed records.
              const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
              if (last >= range.next) range.next = last + 1n;
              if (records.length > 0) batches.push([answer.partitionIndex, records]);
              lastProgress = Date.now();
            }
            if (range.next >= range.end) remaining.delete(answer.partitionIndex);
          }
          // The next fetch is on its way while these records are delivered.
          pending = request();
          for (const [partition, records] of batches) void deliver(partition, records).catch(() => undefined);
          await delivered;
          if (Date.now() - lastProgress > idleMs) {
            throw new Error(
              `no record arrived from ${options.topic} for ${idleMs / 1000}s while ${remaining.size} partition(s) were unfinished`,
            );
          }
        }
      } finally {
        // A fetch still in flight when delivery failed must not surface as an unhandled rejection.
        void pending?.catch(() => undefined);
      }
    };
    await Promise.all([...byLeader].map(([node, partitions]) => readFromLeader(node, partitions)));
    await delivered;
  } finally {
    await client.close().catch((e: unknown) => logger.debug('could not close the range reader', { error: e }));
  }
}

interface TransactionalBatch {
  attributes: number;
  producerId: bigint;
  firstOffset: bigint;
  lastOffsetDelta: number;
  records: { key: Buffer | null }[];
}

/**
 * Which batches of one fetched partition belong to aborted transactions, from the aborted
 * transactions the broker listed with it (read_committed), as Kafka's own consumer decides:
 * walking the batches in offset order, a producer is aborted from the first offset of its
 * aborted transaction until its abort marker, and its transactional batches in between
 * are skipped. The broker lists every aborted transaction that overlaps the fetched
 * offsets, so a transaction begun in an earlier fetch, or one whose marker comes in a later
 * fetch, is still recognised; a producer that aborts twice is tracked twice.
 * (@platformatic/kafka's own filter keeps a transaction whose marker is not in the same
 * response, and only the last of a producer's aborted transactions.)
 */
export class AbortedTransactions {
  private readonly pending: { producerId: bigint; firstOffset: bigint }[];
  private next = 0;
  private readonly producers = new Set<bigint>();

  constructor(aborted: readonly { producerId: bigint; firstOffset: bigint }[]) {
    this.pending = [...aborted].sort((a, b) =>
      a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0,
    );
  }

  /** True for a batch of an aborted transaction; batches must be passed in offset order. */
  skips(batch: TransactionalBatch): boolean {
    const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    while (this.next < this.pending.length && this.pending[this.next].firstOffset <= last)
      this.producers.add(this.pending[this.next++].producerId);
    if ((batch.attributes & IS_CONTROL_BATCH) !== 0) {
      // A control record's key: version (int16), then type: 0 aborts, 1 commits.
      if (batch.records[0]?.key?.readInt16BE(2) === 0) this.producers.delete(batch.producerId);
      return false;
    }
    return (batch.attributes & IS_TRANSACTIONAL) !== 0 && this.producers.has(batch.producerId);
  }
}
