import type { PartitionRanges } from '@bulk-export/domain';
import { LogBounds, planRanges, retentionWarning } from './window-ranges';

describe('planRanges', () => {
  const bounds = (...logs: [number, number][]) =>
    new Map<number, LogBounds>(logs.map(([low, high], p) => [p, { low: BigInt(low), high: BigInt(high) }]));
  const byTime = (...ranges: [number, number][]) =>
    ranges.map(([start, end], partition) => ({ partition, start: BigInt(start), end: BigInt(end) }));
  const recorded = (...ranges: [number, number][]): PartitionRanges =>
    Object.fromEntries(ranges.map(([start, end], p) => [String(p), { start: String(start), end: String(end) }]));
  const ranges = (plan: { ranges: { partition: number; start: bigint; end: bigint }[] }) =>
    plan.ranges.map((r) => [r.partition, Number(r.start), Number(r.end)]);

  it('reads the window by capture time when nothing was recorded', () => {
    const plan = planRanges({
      byTime: byTime([10, 20], [5, 5]),
      bounds: bounds([0, 30], [0, 9]),
      recorded: null,
      previous: null,
      continuePrevious: true,
    });
    expect(ranges(plan)).toEqual([
      [0, 10, 20],
      [1, 5, 5],
    ]);
    expect(plan).toMatchObject({ deadLettered: [], expired: [], discarded: [] });
  });

  it('starts an events window where the previous window stopped reading', () => {
    // Partition 0: late messages (offsets 8, 9) arrived after the previous run looked up its end.
    // Partition 1: the lookup by time ends before the previous end (nothing new): an empty range there.
    const plan = planRanges({
      byTime: byTime([10, 20], [7, 7]),
      bounds: bounds([0, 30], [0, 9]),
      recorded: null,
      previous: recorded([0, 8], [0, 9]),
      continuePrevious: true,
    });
    expect(ranges(plan)).toEqual([
      [0, 8, 20],
      [1, 9, 9],
    ]);
    expect(plan.deadLettered).toEqual([]);
  });

  it('makes a retry read exactly what the earlier attempt recorded, and not dead-letter those offsets again', () => {
    // Since the first attempt, late-stamped messages moved the end found by time from 20 to 25;
    // the next window may already have started at 20.
    const plan = planRanges({
      byTime: byTime([10, 25]),
      bounds: bounds([0, 30]),
      recorded: recorded([8, 20]),
      previous: recorded([0, 8]),
      continuePrevious: true,
    });
    expect(ranges(plan)).toEqual([[0, 8, 20]]);
    expect(plan.deadLettered).toEqual([{ partition: 0, start: 8n, end: 20n }]);
  });

  it('reads a partition the earlier attempt did not know (one added since) by time', () => {
    const plan = planRanges({
      byTime: byTime([10, 25], [0, 4]),
      bounds: bounds([0, 30], [0, 4]),
      recorded: recorded([8, 20]),
      previous: null,
      continuePrevious: true,
    });
    expect(ranges(plan)).toEqual([
      [0, 8, 20],
      [1, 0, 4],
    ]);
  });

  it('discards offsets beyond the end of the log (the topic was created again) and falls back to capture time', () => {
    const plan = planRanges({
      byTime: byTime([0, 3]),
      bounds: bounds([0, 3]),
      recorded: recorded([4000, 5000]),
      previous: recorded([0, 4000]),
      continuePrevious: true,
    });
    expect(ranges(plan)).toEqual([[0, 0, 3]]);
    expect(plan.discarded).toEqual([0]);
    expect(plan.deadLettered).toEqual([]);
  });

  it('starts at the log start when retention deleted the first offsets, and counts them', () => {
    const partly = planRanges({
      byTime: byTime([120, 200]),
      bounds: bounds([150, 300]),
      recorded: null,
      previous: recorded([0, 100]),
      continuePrevious: true,
    });
    expect(ranges(partly)).toEqual([[0, 150, 200]]);
    expect(partly.expired).toEqual([{ partition: 0, count: 50n }]);
    // The whole recorded range is gone: nothing to read, all of it counted.
    const all = planRanges({
      byTime: byTime([400, 400]),
      bounds: bounds([400, 400]),
      recorded: recorded([100, 200]),
      previous: null,
      continuePrevious: true,
    });
    expect(ranges(all)).toEqual([[0, 200, 200]]);
    expect(all.expired).toEqual([{ partition: 0, count: 100n }]);
  });

  it('tells when a window found by capture time reaches back past what retention left, and words the warning', () => {
    // Offsets 0-149 were deleted; the window's first message by time is the oldest one left.
    const past = planRanges({
      byTime: byTime([150, 200], [10, 20]),
      bounds: bounds([150, 300], [0, 30]),
      recorded: null,
      previous: null,
      continuePrevious: true,
    });
    expect(past.pastLogStart).toEqual([0]);
    expect(past.expired).toEqual([]);
    expect(retentionWarning(past)).toBe(
      "the window starts before the oldest message partition 0 of the topic still holds: messages the topic's retention deleted may have belonged to it",
    );
    // Wholly older than what is left: nothing to read, and still said.
    expect(
      planRanges({
        byTime: byTime([150, 150]),
        bounds: bounds([150, 300]),
        recorded: null,
        previous: null,
        continuePrevious: true,
      }).pastLogStart,
    ).toEqual([0]);
    // A window that starts after the oldest message left, or continues from the previous window, or a partition
    // retention emptied: nothing to say.
    expect(
      planRanges({
        byTime: byTime([160, 200]),
        bounds: bounds([150, 300]),
        recorded: null,
        previous: null,
        continuePrevious: true,
      }).pastLogStart,
    ).toEqual([]);
    expect(
      planRanges({
        byTime: byTime([150, 200]),
        bounds: bounds([150, 300]),
        recorded: null,
        previous: recorded([0, 150]),
        continuePrevious: true,
      }).pastLogStart,
    ).toEqual([]);
    expect(
      planRanges({
        byTime: byTime([150, 150]),
        bounds: bounds([150, 150]),
        recorded: null,
        previous: null,
        continuePrevious: true,
      }).pastLogStart,
    ).toEqual([]);
    // Profiles read from the log's start by design.
    expect(
      planRanges({
        byTime: byTime([150, 300]),
        bounds: bounds([150, 300]),
        recorded: null,
        previous: null,
        continuePrevious: false,
      }).pastLogStart,
    ).toEqual([]);

    const counted = planRanges({
      byTime: byTime([120, 200]),
      bounds: bounds([150, 300]),
      recorded: null,
      previous: recorded([0, 100]),
      continuePrevious: true,
    });
    expect(retentionWarning(counted)).toBe(
      "50 messages of this window were deleted by the topic's retention before they were read (partition 0): they are missing from the export",
    );
    expect(retentionWarning({ expired: [], pastLogStart: [] })).toBeNull();
  });

  it('reads the whole topic for profiles, and skips dead-lettering what the previous run already sent', () => {
    const plan = planRanges({
      byTime: byTime([0, 90], [3, 40]),
      bounds: bounds([0, 90], [3, 40]),
      recorded: null,
      previous: recorded([0, 60], [0, 50]),
      continuePrevious: false,
    });
    expect(ranges(plan)).toEqual([
      [0, 0, 90],
      [1, 3, 40],
    ]);
    expect(plan.deadLettered).toEqual([{ partition: 0, start: 0n, end: 60n }]);
    // Partition 1's previous end (50) is beyond its log (40): the topic is not the one the previous run read.
    expect(plan.discarded).toEqual([1]);
  });
});
