import type { PartitionRanges } from '@bulk-export/domain';
import type { OffsetRange } from './topic-range-reader';

/** The offsets a partition's log holds now: [low, high). */
export interface LogBounds {
  low: bigint;
  high: bigint;
}

export interface RangePlan {
  /** What the attempt reads, per partition. */
  ranges: OffsetRange[];
  /** Offsets whose rejected messages an earlier attempt or the previous run already dead-lettered. */
  deadLettered: OffsetRange[];
  /** Messages of the window that the log no longer holds (retention deleted them before they were read). */
  expired: { partition: number; count: bigint }[];
  /** Partitions whose recorded offsets lie beyond the log's end: the topic was deleted and created again. */
  discarded: number[];
  /**
   * Partitions whose window, found by capture time, starts at the log's start after
   * retention deleted earlier messages: the window reaches back past the oldest message the
   * partition still holds, so deleted messages may have belonged to it (how many, nobody
   * can tell).
   */
  pastLogStart: number[];
}

export interface PlanOptions {
  /** The window's ranges found by capture time (windowOffsets). */
  byTime: OffsetRange[];
  /** Each partition's log as it is now. */
  bounds: ReadonlyMap<number, LogBounds>;
  /** The ranges an earlier attempt of this run read and recorded, if one got that far. */
  recorded: PartitionRanges | null;
  /** The ranges the run of the previous window recorded, if any. */
  previous: PartitionRanges | null;
  /**
   * Events: a window starts where the previous window stopped reading. Profiles read the
   * whole topic every time, so the previous run only tells which rejected profiles it
   * already dead-lettered.
   */
  continuePrevious: boolean;
  /**
   * Whether the earlier attempt that recorded `recorded` also dead-lettered their rejected
   * messages (true by default). A run's offsets are recorded when its attempt is planned,
   * before its extract tasks ran: the caller then says which were extracted (`extracted`).
   */
  recordedSent?: boolean;
}

const recordedRange = (ranges: PartitionRanges | null, partition: number) => {
  const r = ranges?.[String(partition)];
  return r ? { start: BigInt(r.start), end: BigInt(r.end) } : null;
};

/**
 * The offsets an attempt of a run reads.
 *
 * - A retry reads exactly what the run's earlier attempt recorded: the next window may
 *   already have started from that end, so looking the end up again (it moves when
 *   late-stamped messages arrive) would put messages in both windows. The retry then
 *   writes the same files, and the rejected messages of those offsets are not
 *   dead-lettered again.
 * - Otherwise an events window starts where the previous window stopped reading: a
 *   message captured late, after the previous run looked up its end, is then in this
 *   window instead of in neither.
 * - Recorded offsets beyond the log's end belong to a topic that was since deleted and
 *   created again: they are discarded and the window falls back to capture time.
 * - Offsets below the log's start were deleted by retention before they were read: the
 *   read starts at the log's start (asking for them would fail every attempt), and how
 *   many were lost is reported.
 */
export function planRanges({
  byTime,
  bounds,
  recorded,
  previous,
  continuePrevious,
  recordedSent = true,
}: PlanOptions): RangePlan {
  const plan: RangePlan = { ranges: [], deadLettered: [], expired: [], discarded: [], pastLogStart: [] };
  for (const window of byTime) {
    const { partition } = window;
    const log = bounds.get(partition) ?? { low: 0n, high: window.end };
    let range: { start: bigint; end: bigint } = { start: window.start, end: window.end };
    const earlier = recordedRange(recorded, partition);
    const before = recordedRange(previous, partition);
    const fits = (r: { end: bigint } | null) => r !== null && r.end <= log.high;
    if (earlier && !fits(earlier)) plan.discarded.push(partition);
    if (before && !fits(before) && !plan.discarded.includes(partition)) plan.discarded.push(partition);
    let byCaptureTime = true;
    if (earlier && fits(earlier)) {
      byCaptureTime = false;
      range = earlier;
      if (recordedSent) plan.deadLettered.push({ partition, ...earlier });
    } else if (before && fits(before) && continuePrevious) {
      byCaptureTime = false;
      range = { start: before.end, end: window.end < before.end ? before.end : window.end };
    }
    // Profiles read the topic from its start (compaction, not retention, removes their old values).
    // A partition that retention emptied says nothing of when its messages were captured.
    if (byCaptureTime && continuePrevious && log.low > 0n && log.high > log.low && range.start === log.low)
      plan.pastLogStart.push(partition);
    if (!continuePrevious && before && fits(before)) plan.deadLettered.push({ partition, start: 0n, end: before.end });
    if (range.start < log.low) {
      const start = log.low < range.end ? log.low : range.end;
      plan.expired.push({ partition, count: start - range.start });
      range = { start, end: range.end };
    }
    plan.ranges.push({ partition, start: range.start, end: range.end });
  }
  return plan;
}

/**
 * What the run tells its customer about messages the topic's retention deleted before they
 * were read (null when none): an exact count when the window continued from recorded
 * offsets, otherwise that the window reaches back past what the topic still holds.
 */
export function retentionWarning(plan: Pick<RangePlan, 'expired' | 'pastLogStart'>): string | null {
  const lost = plan.expired.reduce((n, e) => n + e.count, 0n);
  const parts: string[] = [];
  if (lost > 0n) {
    parts.push(
      `${lost === 1n ? '1 message of this window was' : `${lost} messages of this window were`} deleted by the topic's retention before ${lost === 1n ? 'it was' : 'they were'} read (partition ${plan.expired.map((e) => e.partition).join(', ')}): ${lost === 1n ? 'it is' : 'they are'} missing from the export`,
    );
  }
  if (plan.pastLogStart.length > 0) {
    parts.push(
      `the window starts before the oldest message partition ${plan.pastLogStart.join(', ')} of the topic still ${plan.pastLogStart.length === 1 ? 'holds' : 'hold'}: messages the topic's retention deleted may have belonged to it`,
    );
  }
  return parts.length ? parts.join('; ') : null;
}
