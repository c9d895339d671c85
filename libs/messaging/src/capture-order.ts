import type { OffsetRange, RangeRecord } from './topic-range-reader';

/** Messages read past each range's end to find those stamped inside the window but stored after it. */
export const PROBE_MESSAGES = 1000n;

interface Step {
  offset: bigint;
  timestamp: bigint;
  afterOffset: bigint;
  afterTimestamp: bigint;
}

interface PartitionOrder {
  maxOffset: bigint;
  maxTimestamp: bigint;
  backwards: number;
  first: Step | null;
  leftOut: number;
  leftOutFrom: bigint;
  leftOutTo: bigint;
  leftOutAfter: Step | null;
}

const iso = (ms: bigint) => new Date(Number(ms)).toISOString();

/**
 * What a window read by capture time cannot see by itself: Kafka finds a window's offsets
 * by timestamp (the first message stamped at or after each bound), which assumes the
 * timestamps of a partition only grow. With producers' clocks (CreateTime) they may go
 * backwards; then a message stamped inside the window but stored after a later-stamped
 * one falls outside the window's offsets, and is in no window. This notes, per partition,
 * the timestamps that go backwards in the range read (`observe`) and the messages after
 * the range's end stamped inside the window (`observeAfterEnd`, a probe of PROBE_MESSAGES),
 * and says so in the run's warning (`warning`).
 */
export class CaptureOrder {
  private readonly partitions = new Map<number, PartitionOrder>();

  constructor(
    private readonly startMs: number,
    private readonly endMs: number,
  ) {}

  /** Records of the range, in offset order per partition. */
  observe(partition: number, records: readonly RangeRecord[]): void {
    const p = this.partition(partition);
    for (const r of records) {
      if (r.timestamp < 0n) continue;
      if (r.timestamp < p.maxTimestamp) {
        p.backwards += 1;
        p.first ??= {
          offset: r.offset,
          timestamp: r.timestamp,
          afterOffset: p.maxOffset,
          afterTimestamp: p.maxTimestamp,
        };
      } else {
        p.maxTimestamp = r.timestamp;
        p.maxOffset = r.offset;
      }
    }
  }

  /**
   * Records at and after the range's end (the probe), in offset order: those stamped inside the window were left out.
   */
  observeAfterEnd(partition: number, records: readonly RangeRecord[]): void {
    const p = this.partition(partition);
    for (const r of records) {
      if (r.timestamp >= BigInt(this.startMs) && r.timestamp < BigInt(this.endMs)) {
        if (p.leftOut === 0) {
          p.leftOutFrom = r.offset;
          p.leftOutAfter =
            p.maxTimestamp >= BigInt(this.endMs)
              ? { offset: r.offset, timestamp: r.timestamp, afterOffset: p.maxOffset, afterTimestamp: p.maxTimestamp }
              : null;
        }
        p.leftOut += 1;
        p.leftOutTo = r.offset;
      } else if (r.timestamp > p.maxTimestamp) {
        p.maxTimestamp = r.timestamp;
        p.maxOffset = r.offset;
      }
    }
  }

  /** The words for the run's warning, or null when every partition's timestamps were in order around the window. */
  warning(): string | null {
    const parts: string[] = [];
    for (const [partition, p] of [...this.partitions].sort((a, b) => a[0] - b[0])) {
      if (p.leftOut > 0) {
        const after = p.leftOutAfter
          ? ` after offset ${p.leftOutAfter.afterOffset}, stamped later (${iso(p.leftOutAfter.afterTimestamp)})`
          : " after the window's end offset";
        parts.push(
          `partition ${partition}: ${p.leftOut === 1 ? `1 message (offset ${p.leftOutFrom}) is` : `${p.leftOut} messages (offsets ${p.leftOutFrom}–${p.leftOutTo}) are`} stamped inside the window but stored${after}, so the window's offsets, found by time, leave ${p.leftOut === 1 ? 'it' : 'them'} out of this export`,
        );
      }
      if (p.first) {
        parts.push(
          `partition ${partition}: timestamps go backwards ${p.backwards === 1 ? 'once' : `${p.backwards} times`} in the window's range, first at offset ${p.first.offset} (${iso(p.first.timestamp)}, earlier than offset ${p.first.afterOffset} at ${iso(p.first.afterTimestamp)})`,
        );
      }
    }
    if (parts.length === 0) return null;
    return `message timestamps are out of order: ${parts.join('; ')}; the producers' clocks stamp the messages (CreateTime): set the topic's message.timestamp.type to LogAppendTime`;
  }

  private partition(partition: number): PartitionOrder {
    let p = this.partitions.get(partition);
    if (!p) {
      p = {
        maxOffset: -1n,
        maxTimestamp: -1n,
        backwards: 0,
        first: null,
        leftOut: 0,
        leftOutFrom: 0n,
        leftOutTo: 0n,
        leftOutAfter: null,
      };
      this.partitions.set(partition, p);
    }
    return p;
  }
}

/** The ranges to probe after each range's end: up to PROBE_MESSAGES messages, within what the log holds. */
export function probeRanges(ranges: readonly OffsetRange[], high: ReadonlyMap<number, bigint>): OffsetRange[] {
  return ranges
    .map((r) => {
      const logEnd = high.get(r.partition) ?? r.end;
      const end = r.end + PROBE_MESSAGES < logEnd ? r.end + PROBE_MESSAGES : logEnd;
      return { partition: r.partition, start: r.end, end };
    })
    .filter((r) => r.end > r.start);
}

/** The run's warning about a topic stamped by producers' clocks (null for LogAppendTime). */
export function createTimeWarning(topic: string, type: string | null): string | null {
  if (type !== 'CreateTime') return null;
  return `topic ${topic} keeps the producers' timestamps (message.timestamp.type=CreateTime): a message stamped out of order falls outside the window it belongs to; set it to LogAppendTime`;
}

/** The parts of a run's warning that are there, in one sentence list (null when none). */
export function joinWarnings(...parts: (string | null)[]): string | null {
  const present = parts.filter((p): p is string => !!p);
  return present.length ? present.join('; ') : null;
}
