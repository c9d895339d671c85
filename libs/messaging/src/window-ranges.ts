import type { OffsetRange } from './topic-range-reader';

/** Offsets a run recorded per partition (its ranges [start, end), as decimal strings). */
export type RecordedRanges = Record<string, { start: string; end: string }>;

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
}

export interface PlanOptions {
  /** The window's ranges found by capture time (windowOffsets). */
  byTime: OffsetRange[];
  /** Each partition's log as it is now. */
  bounds: ReadonlyMap<number, LogBounds>;
  /** The ranges an earlier attempt of this run read and recorded, if one got that far. */
  recorded: RecordedRanges | null;
  /** The ranges the run of the previous window recorded, if any. */
  previous: RecordedRanges | null;
  /**
   * Events: a window starts where the previous window stopped reading. Profiles read the
   * whole topic every time, so the previous run only tells which rejected profiles it
   * already dead-lettered.
   */
  continuePrevious: boolean;
}

const recordedRange = (ranges: RecordedRanges | null, partition: number) => {
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
export function planRanges({ byTime, bounds, recorded, previous, continuePrevious }: PlanOptions): RangePlan {
  const plan: RangePlan = { ranges: [], deadLettered: [], expired: [], discarded: [] };
  for (const window of byTime) {
    const { partition } = window;
    const log = bounds.get(partition) ?? { low: 0n, high: window.end };
    let range: { start: bigint; end: bigint } = { start: window.start, end: window.end };
    const earlier = recordedRange(recorded, partition);
    const before = recordedRange(previous, partition);
    const fits = (r: { end: bigint } | null) => r !== null && r.end <= log.high;
    if (earlier && !fits(earlier)) plan.discarded.push(partition);
    if (before && !fits(before) && !plan.discarded.includes(partition)) plan.discarded.push(partition);
    if (earlier && fits(earlier)) {
      range = earlier;
      plan.deadLettered.push({ partition, ...earlier });
    } else if (before && fits(before) && continuePrevious) {
      range = { start: before.end, end: window.end < before.end ? before.end : window.end };
    }
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
