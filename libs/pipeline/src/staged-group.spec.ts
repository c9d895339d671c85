import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_TASK_BLOCKS, SLICES_PER_TASK } from '@bulk-export/domain';
import { DuckDb, sqlString } from '@bulk-export/duckdb';
import { ChunkTarget, GroupFormat } from '@bulk-export/formats';
import { groupEventsView, writeStagedGroup } from './staged-group';
import { LinesForm, StagedLinesReader, stagedLinesIndex } from './staged-lines';
import { stagedViewSql } from './staged-events';
import { isStagedLines, stagedFiles, stagedSliceNumber } from './staging';
import { stageRecords } from './stage-records.spec-helper';
import { useScratchDuckDb } from '../../duckdb/src/scratch-duckdb.spec-helper';

describe('events exports staged as lines', () => {
  const scratch = useScratchDuckDb('staged-lines-');
  let dir: string;
  let db: DuckDb;
  beforeEach(() => ({ db, dir } = scratch));

  const DAY = 1_767_225_600_000; // 2026-01-01T00:00:00Z
  const MAX_ENCODED = 200;
  const FORMATS: [GroupFormat, LinesForm][] = [
    [{ format: 'json', compression: 'none', xmlLayout: 'documented', records: 'events' }, 'json'],
    [{ format: 'xml', compression: 'none', xmlLayout: 'documented', records: 'events' }, 'message'],
    [{ format: 'xml', compression: 'none', xmlLayout: 'typed', records: 'events' }, 'message'],
    [{ format: 'csv', compression: 'none', xmlLayout: 'documented', records: 'events' }, 'message'],
    [{ format: 'parquet', compression: 'snappy', xmlLayout: 'documented', records: 'events' }, 'message'],
  ];
  const names = ['b', 'a', 'ab', 'a b', 'é', '\uff5e', '\u{1f600}', 'Page-View/Home'];
  /**
   * Offsets below 300: events in the JSON format's shape, whose group the scan settles; above, every 11th one
   * the sink cannot stage as a line; offset 150 is larger than a block of the lines' reader.
   */
  const value = (n: number) => {
    const event = {
      eventName: names[(n * 7) % 8],
      ts: n % 3 ? 20260101120000 : 20251231235959,
      eventProps: n === 150 ? { big: 'x'.repeat(1_500_000) } : { n, f: 1.5e3 },
    };
    if (n < 300 || n % 11 !== 0) return JSON.stringify(event);
    const odd = [
      'not json',
      // Another order of keys, another ts, whitespace: SQL settles the group or rebuilds the line.
      JSON.stringify({ ts: event.ts, eventName: event.eventName, eventProps: { n } }),
      JSON.stringify({ ...event, ts: '2026-01-02T03:04:05Z' }),
      `{ "eventName" : "${event.eventName}", "ts": ${event.ts} }`,
      JSON.stringify({ eventName: event.eventName, ts: event.ts, other: 1, eventProps: { n } }),
      JSON.stringify({ eventName: 'n'.repeat(90), ts: event.ts }),
      // Line ends between tokens.
      JSON.stringify(event, null, 2).replace(/\n/g, n % 2 ? '\r\n' : '\n'),
    ];
    return odd[(n / 11) % odd.length];
  };
  const records = Array.from({ length: 900 }, (_, n) => ({
    offset: BigInt(n),
    timestamp: BigInt(DAY + n * 60_000),
    key: n % 5 ? null : Buffer.from(`k${n}`),
    value: Buffer.from(value(n)),
  }));

  /** Stages the records in a folder of its own, as lines in `form` where the sink can, or (null) all through DuckDB. */
  async function stageWith(form: LinesForm | null, eventNames: string[] | null) {
    const own = mkdtempSync(join(dir, form ? 'lines-' : 'sorted-'));
    const slices = await stageRecords(db, own, records, {
      partition: 2,
      timeZone: 'America/New_York',
      eventNames,
      maxEncodedNameBytes: MAX_ENCODED,
      groups: form
        ? { maxEncodedNameBytes: MAX_ENCODED, lines: { form, keep: eventNames ? new Set(eventNames) : null } }
        : undefined,
      // The last block of slice numbers a run may have: row ids beyond 2^53.
      block: { first: (MAX_TASK_BLOCKS - 1) * SLICES_PER_TASK, size: SLICES_PER_TASK },
    });
    await db.run(`DROP VIEW raw; DROP TABLE raw_slow`);
    return { dir: own, paths: await stagedFiles(own), slices };
  }

  /** The files of one group, written from staged `paths`, with a small size limit (several files per group). */
  async function writeFiles(
    how: GroupFormat,
    paths: string[],
    group: { eventName: string; day: string; rows: number },
    tag: string,
  ) {
    const out = mkdtempSync(join(dir, `out-${tag}-`));
    const target: ChunkTarget = {
      pathOf: (index) => join(out, `${String(index).padStart(4, '0')}.json`),
      maxBytes: 1_600_000,
      gzip: false,
      onChunk: async () => undefined,
    };
    await writeStagedGroup(db, how, group, paths, target);
    const files = readdirSync(out)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => join(out, f));
    // Nothing else is left behind (spools, the events files of CSV and Parquet).
    expect(readdirSync(out).length).toBe(files.length);
    return files;
  }

  /** The rows in a file of the group. */
  async function rowsIn(how: GroupFormat, path: string): Promise<number> {
    if (how.format === 'parquet')
      return Number(await db.scalar<bigint>(`SELECT count(*) FROM read_parquet('${path}')`));
    const text = readFileSync(path, 'utf8');
    if (how.format === 'json') return text.split('\n').length - 2;
    if (how.format === 'csv') return text.split('\r\n').length - 2;
    return text.split('<Event>').length - 1;
  }

  it.each(
    FORMATS.map(([how, form]) => [how.format === 'xml' ? `${how.xmlLayout} XML` : how.format, how, form] as const),
  )(
    'writes every group of a %s export byte for byte as from the same events staged through DuckDB',
    async (_name, how, form) => {
      for (const eventNames of [null, ['a', 'ab', '\u{1f600}', 'n'.repeat(90)]]) {
        const sorted = await stageWith(null, eventNames);
        const lines = await stageWith(form, eventNames);
        expect(sorted.paths.some(isStagedLines)).toBe(false);
        // The first slices are staged as lines; most of the later ones hold a record only DuckDB stages.
        const asLines = lines.slices.filter((s) => s.lines).length;
        expect(asLines).toBeGreaterThan(10);
        expect(asLines).toBeLessThan(lines.slices.length - 10);
        expect(lines.slices.length).toBe(sorted.slices.length);
        // A filter leaves the other groups out of the lines files themselves.
        for (const path of lines.paths.filter(isStagedLines)) {
          const { form: staged, groups: held } = await stagedLinesIndex(path);
          expect(staged).toBe(form);
          if (eventNames) for (const g of held) expect(eventNames).toContain(g.eventName);
        }

        // The groups, and their rows, as DuckDB counts the Parquet slices and the lines' indexes count the rest.
        // Temporary, as writeStagedGroup's (which would hide another).
        await db.run(stagedViewSql(sorted.paths, { temporary: true }));
        const groups = (
          (await db.rows(
            'SELECT event_name, day, count(*) FROM staged WHERE reason IS NULL GROUP BY ALL ORDER BY ALL',
          )) as [string, string, bigint][]
        ).map(([eventName, day, rows]) => ({ eventName, day, rows: Number(rows) }));
        await db.run(stagedViewSql(lines.paths, { temporary: true }));
        const counted = new Map<string, number>();
        for (const [eventName, day, rows] of (await db.rows(
          'SELECT event_name, day, count(*) FROM staged WHERE reason IS NULL GROUP BY ALL',
        )) as [string, string, bigint][])
          counted.set(`${eventName}|${day}`, Number(rows));
        for (const slice of lines.slices)
          for (const g of slice.lines ?? [])
            counted.set(`${g.eventName}|${g.day}`, (counted.get(`${g.eventName}|${g.day}`) ?? 0) + g.rows);
        expect(new Map(groups.map((g) => [`${g.eventName}|${g.day}`, g.rows]))).toEqual(counted);
        expect(groups.length).toBeGreaterThan(eventNames ? 3 : 10);

        for (const group of groups) {
          const expected = await writeFiles(how, sorted.paths, group, 'sorted');
          const written = await writeFiles(how, lines.paths, group, 'lines');
          expect(written.length).toBe(expected.length);
          written.forEach((path, i) => expect(readFileSync(path).equals(readFileSync(expected[i]))).toBe(true));
          let rows = 0;
          for (const path of written) rows += await rowsIn(how, path);
          expect(rows).toBe(group.rows);
        }
      }
    },
  );

  it('gives CSV and Parquet the events of a group in order, with rising row ids, read from the slices of both kinds', async () => {
    const sorted = await stageWith(null, null);
    const lines = await stageWith('message', null);
    const bySlice = new Map(lines.paths.map((p) => [stagedSliceNumber(p), p]));
    await db.run(stagedViewSql(sorted.paths, { temporary: true }));
    const groups = (await db.rows('SELECT DISTINCT event_name, day FROM staged WHERE reason IS NULL ORDER BY ALL')) as [
      string,
      string,
    ][];
    let mixed = 0;
    for (const [eventName, day] of groups) {
      const group = { eventName, day };
      await db.run(stagedViewSql(sorted.paths, { temporary: true }));
      const expected = (await db.rows(
        `SELECT translate(event, chr(13) || chr(10), '  ') FROM staged WHERE event_name = ${sqlString(eventName)} AND day = ${sqlString(day)}`,
      )) as [string][];
      const scratch = join(mkdtempSync(join(dir, 'events-')), 'scratch');
      const files = await groupEventsView(db, group, lines.paths, scratch);
      const rows = (await db.rows('SELECT row_id, slice, event, event_name, day FROM staged')) as [
        bigint,
        number,
        string,
        string,
        string,
      ][];
      expect(rows.map((r) => r[2])).toEqual(expected.map((r) => r[0]));
      for (const [i, [rowId, slice, , name, rowDay]] of rows.entries()) {
        expect([name, rowDay]).toEqual([eventName, day]);
        expect(BigInt(slice)).toBe(rowId >> 32n);
        if (i > 0) expect(rowId).toBeGreaterThan(rows[i - 1][0]);
      }
      // The row ids are beyond 2^53: counted exactly.
      expect(rows[0][0]).toBeGreaterThan(2n ** 53n);
      // One file per slice with rows of the group; a condition on the slice reads that slice's only.
      expect(new Set(rows.map((r) => r[1])).size).toBe(files.length);
      const last = rows[rows.length - 1];
      expect(await db.scalar(`SELECT count(*) FROM staged WHERE slice = ${last[1]}`)).toBe(
        BigInt(rows.filter((r) => r[1] === last[1]).length),
      );
      const kinds = new Set(rows.map((r) => isStagedLines(bySlice.get(r[1])!)));
      if (kinds.size === 2) mixed += 1;
    }
    expect(groups.length).toBeGreaterThan(10);
    // Groups with rows from both kinds of slice.
    expect(mixed).toBeGreaterThan(3);
  });

  it('reads a group of a lines file a block at a time, a line longer than a block whole', async () => {
    const { paths } = await stageWith('json', null);
    const big = paths.filter(isStagedLines).find((p) => readFileSync(p).length > 1_000_000)!;
    const { groups, linesAt } = await stagedLinesIndex(big);
    const bytes = readFileSync(big);
    const reader = new StagedLinesReader();
    for (const group of groups) {
      const lines: string[] = [];
      for await (const { bytes: block, ranges } of reader.blocks(big, 'json', group))
        for (let i = 0; i < ranges.length; i += 2) lines.push(block.toString('utf8', ranges[i], ranges[i + 1]));
      expect(lines.join('\n') + '\n').toBe(bytes.toString('utf8', linesAt + group.start, linesAt + group.end));
      expect(lines.length).toBe(group.rows);
      for (const line of lines) expect(line.startsWith('{"ts":')).toBe(true);
    }
    expect(groups.some((g) => g.end - g.start > 1_000_000)).toBe(true);
    // A group the slice does not hold has no lines.
    const none = reader.blocks(big, 'json', { eventName: 'absent', day: '20260101' });
    expect((await none.next()).done).toBe(true);
    // Lines of another form are not read as these.
    await expect(reader.blocks(big, 'message', groups[0]).next()).rejects.toThrow(
      'holds json lines, not message lines',
    );
  });
});
