import { CaptureOrder, createTimeWarning, joinWarnings, probeRanges } from './capture-order';

const rec = (offset: number, timestamp: number) => ({
  offset: BigInt(offset),
  timestamp: BigInt(timestamp),
  key: null,
  value: null,
});
const START = 1_000_000;
const END = 2_000_000;

describe('CaptureOrder', () => {
  it('says nothing when every partition is stamped in order', () => {
    const order = new CaptureOrder(START, END);
    order.observe(0, [rec(0, START), rec(1, START + 5), rec(2, START + 5)]);
    order.observeAfterEnd(0, [rec(3, END), rec(4, END + 1)]);
    expect(order.warning()).toBeNull();
  });

  it('names the messages stamped inside the window but stored after a later-stamped one, which the window left out', () => {
    // The partition's first message is stamped after the window: the window's range is [0, 0).
    const order = new CaptureOrder(START, END);
    order.observeAfterEnd(2, [
      rec(0, END + 50_000),
      rec(1, START + 1),
      rec(2, START + 2),
      rec(3, END + 60_000),
      rec(4, START + 3),
    ]);
    expect(order.warning()).toBe(
      `message timestamps are out of order: partition 2: 3 messages (offsets 1–4) are stamped inside the window but stored after offset 0, stamped later (${new Date(END + 50_000).toISOString()}), so the window's offsets, found by time, leave them out of this export; the producers' clocks stamp the messages (CreateTime): set the topic's message.timestamp.type to LogAppendTime`,
    );
  });

  it('names the first place in a range where timestamps go backwards, and how often they do', () => {
    const order = new CaptureOrder(START, END);
    order.observe(1, [rec(10, START + 30), rec(11, START + 10)]);
    order.observe(1, [rec(12, START + 40), rec(13, START + 20), rec(14, -1)]);
    order.observe(0, [rec(0, START)]);
    expect(order.warning()).toContain(
      `partition 1: timestamps go backwards 2 times in the window's range, first at offset 11 (${new Date(START + 10).toISOString()}, earlier than offset 10 at ${new Date(START + 30).toISOString()})`,
    );
    expect(order.warning()).not.toContain('partition 0');
  });

  it('ignores messages after the end stamped outside the window', () => {
    const order = new CaptureOrder(START, END);
    order.observe(0, [rec(0, START + 1)]);
    order.observeAfterEnd(0, [rec(1, END + 5), rec(2, START - 5)]);
    expect(order.warning()).toBeNull();
  });
});

describe('probeRanges', () => {
  it('probes up to 1000 messages after each range, within the log', () => {
    const highs = new Map([
      [0, 5000n],
      [1, 12n],
      [2, 7n],
    ]);
    expect(
      probeRanges(
        [
          { partition: 0, start: 0n, end: 100n },
          { partition: 1, start: 0n, end: 10n },
          { partition: 2, start: 0n, end: 7n },
        ],
        highs,
      ),
    ).toEqual([
      { partition: 0, start: 100n, end: 1100n },
      { partition: 1, start: 10n, end: 12n },
    ]);
  });
});

describe('createTimeWarning / joinWarnings', () => {
  it('warns for CreateTime only', () => {
    expect(createTimeWarning('events.a', 'CreateTime')).toMatch(
      /^topic events\.a keeps the producers' timestamps \(message\.timestamp\.type=CreateTime\)/,
    );
    expect(createTimeWarning('events.a', 'LogAppendTime')).toBeNull();
    expect(createTimeWarning('events.a', null)).toBeNull();
  });

  it('joins the warnings present', () => {
    expect(joinWarnings(null, 'a', null, 'b')).toBe('a; b');
    expect(joinWarnings(null, null)).toBeNull();
  });
});
