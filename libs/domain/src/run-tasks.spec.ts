import {
  compareText,
  ExtractResult,
  extractTasks,
  extractTotals,
  nextPhase,
  runFiles,
  spreadOf,
  SLICES_PER_TASK,
  MAX_TASK_BLOCKS,
  takeoversOnClaim,
  writeTasks,
} from './run-tasks';

const r = (partition: number, start: number, end: number) => ({ partition, start: BigInt(start), end: BigInt(end) });

describe('extractTasks', () => {
  it('cuts each partition into equal pieces of at most maxOffsets, in (partition, offset) order, probing after each partition’s last', () => {
    const specs = extractTasks([r(1, 100, 110), r(0, 0, 25)], [], 10, false);
    expect(specs.map((s) => [s.ranges[0].partition, s.ranges[0].start, s.ranges[0].end, s.probe, s.block])).toEqual([
      [0, '0', '9', [], 0],
      [0, '9', '18', [], 1],
      [0, '18', '25', [0], 2],
      [1, '100', '110', [1], 3],
    ]);
  });

  it('gives each task the part of the dead-lettered offsets inside its range', () => {
    const specs = extractTasks([r(0, 0, 20)], [r(0, 5, 15)], 10, false);
    expect(specs.map((s) => s.deadLettered)).toEqual([
      [{ partition: 0, start: '5', end: '10' }],
      [{ partition: 0, start: '10', end: '15' }],
    ]);
  });

  it('gives the empty ranges to the first task, to be probed after (a task of their own when all are empty)', () => {
    const specs = extractTasks([r(2, 7, 7), r(0, 0, 20), r(1, 5, 5)], [], 10, false);
    expect(specs[0]).toEqual({
      ranges: [
        { partition: 0, start: '0', end: '10' },
        { partition: 1, start: '5', end: '5' },
        { partition: 2, start: '7', end: '7' },
      ],
      probe: [1, 2],
      deadLettered: [],
      block: 0,
    });
    expect(specs[1].probe).toEqual([0]);
    expect(extractTasks([r(1, 5, 5)], [], 10, false)).toEqual([
      { ranges: [{ partition: 1, start: '5', end: '5' }], probe: [1], deadLettered: [], block: 0 },
    ]);
    expect(extractTasks([], [], 10, false)).toEqual([]);
  });

  it('reads a profile topic in one task (the latest value of a key is settled across partitions)', () => {
    const specs = extractTasks([r(0, 0, 2_000_000), r(1, 0, 10)], [r(1, 0, 4)], 10, true);
    expect(specs).toEqual([
      {
        ranges: [
          { partition: 0, start: '0', end: '2000000' },
          { partition: 1, start: '0', end: '10' },
        ],
        probe: [0, 1],
        deadLettered: [{ partition: 1, start: '0', end: '4' }],
        block: 0,
      },
    ]);
    expect(extractTasks([], [], 10, true)).toEqual([]);
  });

  it('refuses more tasks than slice blocks, and a non-positive size', () => {
    expect(() => extractTasks([r(0, 0, (MAX_TASK_BLOCKS + 1) * 1000)], [], 1000, false)).toThrow(
      /EXTRACT_TASK_MAX_OFFSETS/,
    );
    expect(() => extractTasks([r(0, 0, 10)], [], 0, false)).toThrow(/positive/);
    expect(SLICES_PER_TASK * MAX_TASK_BLOCKS).toBeLessThan(2 ** 31);
  });
});

describe('writeTasks', () => {
  const result = (staging: string, groups: [string, string, number][]): ExtractResult => ({
    rows: 0,
    rejected: 0,
    groups: groups.map(([eventName, day, rows]) => ({ eventName, day, rows })),
    warning: null,
    staging,
  });
  const spec = (block: number) => ({ ranges: [], probe: [], deadLettered: [], block });

  it('makes one task per file group in byte order of (event name, day), with its sources in block order', () => {
    const writes = writeTasks([
      {
        id: 't2',
        spec: spec(2),
        result: result('s2', [
          ['é', '20260101', 1],
          ['b', '20260102', 2],
        ]),
      },
      {
        id: 't0',
        spec: spec(0),
        result: result('s0', [
          ['b', '20260102', 3],
          ['Z', '20260101', 4],
        ]),
      },
      { id: 't1', spec: spec(1), result: result('s1', []) },
    ]);
    expect(writes).toEqual([
      { eventName: 'Z', day: '20260101', rows: 4, sources: [{ taskId: 't0', staging: 's0' }] },
      {
        eventName: 'b',
        day: '20260102',
        rows: 5,
        sources: [
          { taskId: 't0', staging: 's0' },
          { taskId: 't2', staging: 's2' },
        ],
      },
      { eventName: 'é', day: '20260101', rows: 1, sources: [{ taskId: 't2', staging: 's2' }] },
    ]);
    expect(writeTasks([])).toEqual([]);
  });

  it('sums what the extract tasks found', () => {
    expect(
      extractTotals([
        { ...result('a', []), rows: 3, rejected: 1, warning: 'w' },
        { ...result('b', []), rows: 2, rejected: 0 },
      ]),
    ).toEqual({ rowsExtracted: 5, rowsRejected: 1, warnings: ['w'] });
  });
});

describe('runFiles', () => {
  it('orders the files of all write tasks by event name, day and index', () => {
    const f = (eventName: string, day: string, fileIndex: number) => ({
      objectName: `${eventName}${day}${fileIndex}`,
      eventName,
      day,
      fileIndex,
      rows: 1,
      bytes: 1,
      crc32c: '',
    });
    expect(
      runFiles([
        { files: [f('b', '1', 1), f('b', '1', 0)] },
        { files: [f('a', '2', 0), f('a', '1', 10), f('a', '1', 2)] },
      ]).map((x) => x.objectName),
    ).toEqual(['a12', 'a110', 'a20', 'b10', 'b11']);
  });
});

describe('takeoversOnClaim', () => {
  it('counts a takeover only from a worker that held the task', () => {
    expect(takeoversOnClaim({ status: 'pending', claim: null, takeovers: 0 })).toBe(0);
    expect(takeoversOnClaim({ status: 'running', claim: 'c', takeovers: 1 })).toBe(2);
    expect(takeoversOnClaim({ status: 'running', claim: null, takeovers: 1 })).toBe(1);
  });
});

describe('compareText', () => {
  it('orders by UTF-8 bytes, as DuckDB does', () => {
    // U+FF21 (3 bytes) sorts before U+1F600 (4 bytes, a surrogate pair in UTF-16, which JavaScript's < puts first).
    expect(['😀', 'Ａ', 'a'].sort(compareText)).toEqual(['a', 'Ａ', '😀']);
  });
});

describe('nextPhase', () => {
  const extract = (id: string, block: number, groups: [string, string, number][], warning: string | null = null) => ({
    id,
    spec: { ranges: [], probe: [], deadLettered: [], block },
    result: {
      rows: 10,
      rejected: 1,
      groups: groups.map(([eventName, day, rows]) => ({ eventName, day, rows })),
      warning,
      staging: id,
    },
  });

  it('follows the extraction with the write tasks and the run’s totals and warnings', () => {
    const next = nextPhase('extract', 'plan', [
      extract('a', 0, [['x', '20260101', 3]], 'task a'),
      extract('b', 1, [['x', '20260101', 4]]),
    ]);
    expect(next).toMatchObject({ kind: 'write', run: { rowsExtracted: 20, rowsRejected: 2, warning: 'plan; task a' } });
    expect(next?.specs).toHaveLength(1);
  });

  it('goes straight to the finish when nothing was staged, and after the writing; nothing follows the finish', () => {
    expect(nextPhase('extract', null, [])).toEqual({
      kind: 'finish',
      specs: [{}],
      run: { rowsExtracted: 0, rowsRejected: 0, warning: null },
    });
    expect(nextPhase('extract', null, [extract('a', 0, [])])?.kind).toBe('finish');
    expect(nextPhase('write', null, [])).toEqual({ kind: 'finish', specs: [{}] });
    expect(nextPhase('finish', null, [])).toBeNull();
  });
});

describe('spreadOf', () => {
  const write = (seq: number, eventName: string, day: string) => ({
    kind: 'write' as const,
    seq,
    spec: { eventName, day, rows: 1, sources: [] },
  });

  it('sends extract tasks round the partitions by their place', () => {
    expect(
      spreadOf(
        [0, 1, 2].map((seq) => ({
          kind: 'extract' as const,
          seq,
          spec: { ranges: [], probe: [], deadLettered: [], block: seq },
        })),
        12,
      ),
    ).toEqual([0, 1, 2]);
  });

  it('keeps a day’s groups on one partition when the days fill the partitions', () => {
    const days = Array.from({ length: 12 }, (_, d) => `202601${String(d + 1).padStart(2, '0')}`);
    const tasks = days.flatMap((day, d) => ['a', 'b', 'c'].map((name, i) => write(d * 3 + i, name, day)));
    const spread = spreadOf(tasks, 12);
    expect(spread).toEqual(days.flatMap((_, d) => [d, d, d]));
  });

  it('spreads a day’s groups evenly over partitions/days partitions when there are few days', () => {
    const names = Array.from({ length: 8 }, (_, i) => `event-${i}`);
    const tasks = [
      ...names.map((n, i) => write(i, n, '20260101')),
      ...names.map((n, i) => write(8 + i, n, '20260102')),
    ];
    expect(spreadOf(tasks, 12)).toEqual([0, 1, 2, 3, 4, 5, 0, 1, 6, 7, 8, 9, 10, 11, 6, 7]);
    expect(
      spreadOf(
        names.map((n, i) => write(i, n, '20260101')),
        3,
      ),
    ).toEqual([0, 1, 2, 0, 1, 2, 0, 1]);
  });
});
