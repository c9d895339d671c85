import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDb, DuckDbQueue } from '@bulk-export/duckdb';
import { rowRangeSql } from '@bulk-export/formats';
import { RawSink, RawSlice } from './raw-sink';
import {
  COUNT_STAGED,
  selectRejectedSql,
  stagedViewSql,
  stageEventsSql,
  stageProfilesSql,
  writeStagedSql,
} from './staged-events';
import { stagedFiles, stagedSliceFile } from './staging';
import { stageRecords } from './stage-records.spec-helper';
import { useScratchDuckDb } from '../../duckdb/src/scratch-duckdb.spec-helper';

describe('staged slices', () => {
  const scratch = useScratchDuckDb('staged-');
  let dir: string;
  let db: DuckDb;
  beforeEach(() => ({ db, dir } = scratch));

  const NAMES = ['b', 'a', 'c'];
  const DAY = 1_767_225_600_000; // 2026-01-01T00:00:00Z
  /** Offset n of a partition: event name by n, day 1 or 2 by n, and every 17th message not an event. */
  const value = (partition: number, n: number) =>
    n % 17 === 5
      ? 'not json'
      : JSON.stringify({
          eventName: NAMES[(n + partition) % 3],
          ts: n % 2 ? 20260101120000 : 20260102120000,
          eventProps: { partition, n },
        });

  async function stage(partitions: number[], perPartition: number): Promise<void> {
    const stager = new DuckDbQueue<RawSlice>(db, (connection, slice) =>
      connection.run(
        writeStagedSql(stageEventsSql('UTC', null, slice.select), slice.number, stagedSliceFile(dir, slice.number)),
      ),
    );
    const sink = await RawSink.open(db, dir, { sliceBytes: 2000, onSlice: (slice) => stager.add(slice) });
    for (let start = 0; start < perPartition; start += 25) {
      for (const partition of partitions) {
        const records = Array.from({ length: Math.min(25, perPartition - start) }, (_, i) => ({
          offset: BigInt(start + i),
          timestamp: BigInt(DAY + start + i),
          key: null,
          value: Buffer.from(value(partition, start + i)),
        }));
        await sink.append(partition, records);
      }
    }
    await sink.finish();
    expect(sink.slices.length).toBeGreaterThan(5);
    await stager.finish(2);
    await db.run(stagedViewSql(await stagedFiles(dir)));
  }

  it('lists every group in Kafka order, with rising row ids, from slices sorted by group', async () => {
    await stage([0, 1], 300);
    expect(Number(await db.scalar(COUNT_STAGED))).toBe(600 - 2 * 18);
    const rows = (await db.rows('SELECT event_name, day, partition, "offset", row_id, slice FROM staged')) as [
      string | null,
      string | null,
      number,
      bigint,
      bigint,
      number,
    ][];
    expect(rows.length).toBe(600);
    for (let i = 1; i < rows.length; i++) expect(rows[i][4]).toBeGreaterThan(rows[i - 1][4]);
    for (const name of NAMES) {
      for (const day of ['20260101', '20260102']) {
        const group = rows.filter(([e, d]) => e === name && d === day).map(([, , p, o]) => `${p}:${o}`);
        const kafka: string[] = [];
        for (const p of [0, 1])
          for (let n = 0; n < 300; n++)
            if (n % 17 !== 5 && NAMES[(n + p) % 3] === name && (n % 2 ? '20260101' : '20260102') === day)
              kafka.push(`${p}:${n}`);
        expect(group).toEqual(kafka);
      }
    }
    // Within a slice, a group's rows are contiguous, and rejected messages come last.
    for (const slice of new Set(rows.map((r) => r[5]))) {
      const keys = rows.filter((r) => r[5] === slice).map(([e, d]) => `${e ?? '~'}/${d ?? ''}`);
      const runs = keys.filter((k, i) => i === 0 || k !== keys[i - 1]);
      expect(runs).toEqual([...new Set(keys)].sort());
    }
    const rejected = (await db.rows(selectRejectedSql())) as [number, bigint, string | null, string, string][];
    expect(rejected.map(([p, o, , event, reason]) => [p, Number(o), event, reason])).toEqual(
      [0, 1].flatMap((p) => Array.from({ length: 18 }, (_, i) => [p, 5 + 17 * i, 'not json', 'not valid JSON'])),
    );
  });

  it('stages slices the sink wrote by file group exactly as slices it left to the SQL sort', async () => {
    // Names whose byte order is not UTF-16's, prefixes; a name long enough that only SQL may accept it, one it rejects.
    const names = ['b', 'a', 'ab', 'a b', 'é', '\uff5e', '\u{1f600}', 'Page-View/Home', 'n'.repeat(90)];
    const MAX_ENCODED = 200;
    /** Offsets below 400: events whose group the scan settles; above, every 13th one SQL settles. */
    const value = (n: number) => {
      const event = { eventName: names[(n * 7) % 8], ts: n % 3 ? 20260101120000 : 20251231235959, eventProps: { n } };
      if (n < 400 || n % 13 !== 0) return JSON.stringify(event);
      const odd = [
        'not json',
        JSON.stringify({ ...event, ts: '2026-01-02T03:04:05Z' }),
        JSON.stringify({ ...event, eventName: names[8] }),
        JSON.stringify({ ...event, eventName: 'é'.repeat(40) }),
        JSON.stringify({ ...event, eventName: '' }),
        JSON.stringify({ eventProps: { n }, eventName: event.eventName, ts: event.ts }),
      ];
      return odd[(n / 13) % odd.length];
    };
    const records = Array.from({ length: 900 }, (_, n) => ({
      offset: BigInt(n),
      timestamp: BigInt(DAY + n * 60_000),
      key: n % 5 ? null : Buffer.from(`k${n}`),
      value: Buffer.from(value(n)),
    }));

    async function stageWith(grouping: boolean, eventNames: string[] | null) {
      const own = mkdtempSync(join(dir, grouping ? 'grouped-' : 'sorted-'));
      const instance = await DuckDb.open(':memory:', { memoryLimit: '256MB', threads: 2, spillDir: own });
      try {
        const slices = await stageRecords(instance, own, records, {
          partition: 3,
          timeZone: 'America/New_York',
          eventNames,
          maxEncodedNameBytes: MAX_ENCODED,
          groups: grouping ? { maxEncodedNameBytes: MAX_ENCODED } : undefined,
        });
        await instance.run(stagedViewSql(await stagedFiles(own)));
        const rows = await instance.rows('SELECT * FROM staged ORDER BY row_id');
        return { rows, grouped: slices.filter((slice) => slice.grouped).length, slices: slices.length };
      } finally {
        instance.close();
      }
    }

    for (const eventNames of [null, ['a', 'ab', '\u{1f600}', names[8]]]) {
      const sorted = await stageWith(false, eventNames);
      const grouped = await stageWith(true, eventNames);
      expect(sorted.grouped).toBe(0);
      // The first slices hold only events the scan settled; most of the later ones hold one it did not.
      expect(grouped.grouped).toBeGreaterThan(10);
      expect(grouped.grouped).toBeLessThan(grouped.slices - 10);
      expect(grouped.slices).toBe(sorted.slices);
      if (eventNames) expect(sorted.rows.length).toBeLessThan(600);
      else expect(sorted.rows.length).toBe(900);
      expect(grouped.rows).toEqual(sorted.rows);
    }
  });

  it('keeps the bytes of a rejected key or value that is not UTF-8, for the dead-letter topic, through every path', async () => {
    const bytes = (...parts: (string | number[])[]) =>
      Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
    const records = [
      // Not UTF-8 and not JSON: rejected, its bytes kept (one with a line break, one with a bad key too).
      { key: null, value: bytes('\u00ff', [0xfe, 0x00], 'x') },
      { key: bytes('k', [0xc3, 0x28]), value: bytes('line\n', [0xff]) },
      // Not UTF-8 inside a string of a valid event: exported with U+FFFD, no bytes kept.
      { key: bytes([0xff]), value: bytes('{"eventName":"a","ts":20260101120000,"eventProps":{"s":"', [0xff], '"}}') },
      // Valid UTF-8 but not an event: the text is the bytes.
      { key: bytes('plain'), value: bytes('nope') },
      // Longer than a line takes (the appender's path).
      { key: null, value: bytes('{"pad":"', 'p'.repeat(9 * 1024 * 1024), [0xe2, 0x28], '"') },
    ];
    const stager = new DuckDbQueue<RawSlice>(db, (connection, slice) =>
      connection.run(
        writeStagedSql(stageEventsSql('UTC', null, slice.select), slice.number, stagedSliceFile(dir, slice.number)),
      ),
    );
    const sink = await RawSink.open(db, dir, { onSlice: (slice) => stager.add(slice) });
    await sink.append(
      0,
      records.map((r, i) => ({ offset: BigInt(i), timestamp: BigInt(DAY), ...r })),
    );
    await sink.finish();
    await stager.finish(2);
    await db.run(stagedViewSql(await stagedFiles(dir)));
    const rejected = (await db.rows(`${selectRejectedSql()} ORDER BY "offset"`)) as [
      number,
      bigint,
      string | null,
      string,
      string,
      Uint8Array | null,
      Uint8Array | null,
    ][];
    // Compared by digest: Jest compares a 9 MiB buffer byte by byte, for minutes.
    const digest = (b: Uint8Array | null) => (b === null ? null : createHash('sha256').update(b).digest('hex'));
    expect(
      rejected.map(([, offset, , , , rawKey, rawValue]) => [Number(offset), digest(rawKey), digest(rawValue)]),
    ).toEqual([
      [0, null, digest(records[0].value)],
      [1, digest(records[1].key), digest(records[1].value)],
      [3, null, null],
      [4, null, digest(records[4].value)],
    ]);
    expect(rejected.find(([, o]) => o === 3n)?.[3]).toBe('nope');
    const kept = (await db.rows('SELECT event, raw_key, raw_value FROM staged WHERE reason IS NULL')) as [
      string,
      unknown,
      unknown,
    ][];
    expect(kept).toEqual([['{"eventName":"a","ts":20260101120000,"eventProps":{"s":"\uFFFD"}}', null, null]]);
  });

  it('rejects what DuckDB reads as JSON but JSON is not, and keeps strings that only look like it', async () => {
    const NOT_STRICT = 'not valid JSON (NaN, Infinity or a trailing comma)';
    const cases: [string, string | null][] = [
      ['{"eventName":"a","ts":1,"eventProps":{"x":NaN}}', NOT_STRICT],
      ['{"eventName":"a","ts":1,"eventProps":{"x":-Infinity}}', NOT_STRICT],
      ['{"eventName":"a","ts":1,"eventProps":{"x":[ inf ]}}', NOT_STRICT],
      ['{"eventName":"a","ts":1,"eventProps":{"x":nAn}}', NOT_STRICT],
      ['{"eventName":"a","ts":1,"eventProps":{"x":[1,2,]}}', NOT_STRICT],
      ['{"eventName":"a","ts":1,"eventProps":{"x":1 ,\n }}', NOT_STRICT],
      ['{"eventName":"a","ts":1,}', NOT_STRICT],
      ['[NaN]', NOT_STRICT],
      ['{"eventName":"a","ts":1,"eventProps":{"x":"NaN, inf, [1,] {2,}","y":": -Infinity","z":"\\", NaN"}}', null],
      ['{"eventName":"a","ts":1,"deviceInfo":{"Info":"nan"},"eventProps":{"nan":null,"inf":[true,false,null]}}', null],
    ];
    const source = `SELECT * FROM (VALUES ${cases.map(([v], i) => `(0, ${i}::BIGINT, 0::BIGINT, NULL::VARCHAR, '${v.replace(/'/g, "''")}', NULL::BLOB, NULL::BLOB, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::INTEGER)`).join(', ')}) AS t(partition, "offset", capture_ms, key, value, raw_key, raw_value, checked_name, checked_ts, checked_day, json_cut)`;
    const rows = (await db.rows(
      `SELECT "offset", reason FROM (${stageEventsSql('UTC', null, source)}) ORDER BY "offset"`,
    )) as [bigint, string | null][];
    expect(rows.map(([o, reason]) => [cases[Number(o)][0], reason])).toEqual(cases);
    for (const [text, reason] of cases) if (reason === null) expect(() => JSON.parse(text)).not.toThrow();
  });

  it('stages what the sink scanned exactly as what it did not (SQL alone)', async () => {
    const deep = (n: number) => `${'['.repeat(n)}1${']'.repeat(n)}`;
    const messages = [
      '{"eventName":"a","ts":20260101120000,"profile":{"identity":"u"},"deviceInfo":{"make":"x"},"eventProps":{"p":[1,2.5,-3e-2,true,false,null,"s"]}}',
      '{"eventName":"a","eventProps":{"x":NaN}}',
      '{"eventName":"a","eventProps":{"x":[1,]}}',
      '{"eventName":"a","ts":1,}',
      '{"eventName":"a","eventName":"b"}',
      '{"event\\u004eame":"a","ts":1}',
      '{"eventName":"a\\u0042"}',
      '{"eventName":"a\\u0000b"}',
      '{"eventName":""}',
      `{"eventName":"${'n'.repeat(300)}"}`,
      '{"eventName":"a","ts":-0}',
      '{"eventName":"a","ts":1.5}',
      '{"eventName":"a","ts":1e2}',
      '{"eventName":"a","ts":"20260101120000"}',
      '{"eventName":"a","ts":"17672256\\u0030000"}',
      '{"eventName":"a","ts":null}',
      '{"eventName":"a","ts":1767225600000}',
      '{"eventName":"a","ts":12345678901234567890123}',
      '{"eventName":"a","ts":true}',
      '{"eventName":"a","ts":{"x":1}}',
      '{"eventName":"a","profile":[1]}',
      '{"eventName":"a","deviceInfo":"x"}',
      '{"eventName":"a","eventProps":null}',
      '{"eventName":"a","eventProps":1}',
      ' { "eventName" : "a" , "ts" : 1 } ',
      '{"eventName":"a","x":"\\ud83d\\ude00"}',
      '{"eventName":"a","x":"t\tb"}',
      '{"eventName":"a","x":"\\q"}',
      `{"eventName":"a","x":${deep(600)}}`,
      `{"eventName":"a","x":${deep(10)}}`,
      '{}',
      '[]',
      '"a"',
      '{"eventName":1}',
      '{"ts":1}',
      '{"eventName":"a"} x',
      '{"eventName":"a",}',
      '{"eventName":"a","x":01}',
      '{"eventName":"a","x":1.}',
      '{"eventName":"a","x":tru}',
      '{"ts":1,"eventName":"a"}',
      '{"eventName":"a","ts":"20261301120000"}',
      '{"eventName":"a","ts":19991231235959}',
      '{"eventName":"a","ts":21000229240000}',
      '{"eventName":"a","ts":2026010112000}',
      '{"eventName":"a","ts":1767225600}',
    ];
    const sink = await RawSink.open(db, dir);
    await sink.append(
      0,
      messages.map((m, i) => ({ offset: BigInt(i), timestamp: BigInt(DAY), key: null, value: Buffer.from(m) })),
    );
    await sink.finish();
    const columns = 'SELECT "offset", reason, event_name, day, json_cut IS NOT NULL FROM';
    const scanned = await db.rows(`${columns} (${stageEventsSql('UTC', null)}) ORDER BY "offset"`);
    const unscanned = `SELECT * REPLACE (NULL::VARCHAR AS checked_name, NULL::VARCHAR AS checked_ts, NULL::VARCHAR AS checked_day, NULL::INTEGER AS json_cut) FROM raw`;
    const sql = await db.rows(`${columns} (${stageEventsSql('UTC', null, unscanned)}) ORDER BY "offset"`);
    expect(scanned.map((r) => r.slice(0, 4))).toEqual(sql.map((r) => r.slice(0, 4)));
    // The plain events were scanned (their JSON line is cut from the message).
    expect(scanned.filter((r) => r[4]).map((r) => Number(r[0]))).toEqual([0, 13, 15, 16, 22, 41, 42, 43, 44, 45]);
  });

  it('narrows to a range of row ids across slices', async () => {
    await stage([0], 200);
    const ids = ((await db.rows(`SELECT row_id FROM staged WHERE event_name = 'a'`)) as [bigint][]).map(([id]) => id);
    const [first, last] = [ids[3], ids[ids.length - 4]];
    expect(first >> 32n).not.toBe(last >> 32n);
    const picked = (
      (await db.rows(`SELECT row_id FROM staged WHERE event_name = 'a' AND ${rowRangeSql(first, last)}`)) as [bigint][]
    ).map(([id]) => id);
    expect(picked).toEqual(ids.slice(3, -3));
  });

  it('stops at the first slice that fails, and says why', async () => {
    let staged = 0;
    const stager = new DuckDbQueue<RawSlice>(db, async (connection, slice) => {
      if (slice.number === 2) throw new Error('disk full');
      staged += 1;
      await connection.run('SELECT 1');
    });
    for (let number = 0; number < 6; number++) stager.add({ number, select: '', grouped: false, lines: null });
    await expect(stager.finish(1)).rejects.toThrow('disk full');
    expect(stager.failure).toBeInstanceOf(Error);
    expect(staged).toBe(2);
  });

  it('keeps the highest offset of each key within a partition, whatever the timestamps, and the latest capture across partitions', async () => {
    // [partition, offset, capture time (s after DAY), key, profile or null for a tombstone]
    const messages: [number, number, number, string, Record<string, unknown> | null][] = [
      // A producer's clock behind: the later message (higher offset) has the earlier time, and wins.
      [0, 0, 50, 'skewed', { v: 'first' }],
      [0, 1, 10, 'skewed', { v: 'second' }],
      // A tombstone written with an earlier time still deletes.
      [0, 2, 60, 'deleted', { v: 'alive' }],
      [0, 3, 20, 'deleted', null],
      // And a value after a tombstone brings the profile back, whatever its time.
      [0, 4, 70, 'revived', null],
      [0, 5, 30, 'revived', { v: 'back' }],
      // Seen in two partitions (repartitioned): each partition's latest, then the later capture.
      [0, 6, 100, 'moved', { v: 'old partition' }],
      [1, 0, 200, 'moved', { v: 'new partition' }],
      [1, 1, 300, 'movedBack', { v: 'higher partition, earlier' }],
      [0, 7, 400, 'movedBack', { v: 'lower partition, later' }],
      // Partition 1's latest for this key is offset 3 (captured at 40), which loses to partition 0's (at 80).
      [0, 8, 80, 'both', { v: 'partition 0' }],
      [1, 2, 90, 'both', { v: 'partition 1, overwritten' }],
      [1, 3, 40, 'both', { v: 'partition 1, latest' }],
    ];
    const sink = await RawSink.open(db, dir, { sliceBytes: 1 << 20, onSlice: () => undefined });
    for (const partition of [0, 1]) {
      const records = messages
        .filter(([p]) => p === partition)
        .map(([, offset, seconds, key, profile]) => ({
          offset: BigInt(offset),
          timestamp: BigInt(DAY + seconds * 1000),
          key: Buffer.from(key),
          value: profile ? Buffer.from(JSON.stringify({ identity: key, ...profile })) : null,
        }));
      await sink.append(partition, records);
    }
    await sink.finish();
    const rows = (await db.rows(
      `SELECT key, partition, "offset", event FROM (${stageProfilesSql('UTC', '20260101')}) WHERE reason IS NULL ORDER BY key`,
    )) as [string, number, bigint, string][];
    expect(rows.map(([key, partition, offset, event]) => [key, partition, Number(offset), JSON.parse(event)])).toEqual([
      ['both', 0, 8, { eventName: 'profiles', ts: 20260101000120, profile: { identity: 'both', v: 'partition 0' } }],
      [
        'moved',
        1,
        0,
        { eventName: 'profiles', ts: 20260101000320, profile: { identity: 'moved', v: 'new partition' } },
      ],
      [
        'movedBack',
        0,
        7,
        { eventName: 'profiles', ts: 20260101000640, profile: { identity: 'movedBack', v: 'lower partition, later' } },
      ],
      ['revived', 0, 5, { eventName: 'profiles', ts: 20260101000030, profile: { identity: 'revived', v: 'back' } }],
      ['skewed', 0, 1, { eventName: 'profiles', ts: 20260101000010, profile: { identity: 'skewed', v: 'second' } }],
    ]);
  });

  it('gives every profile its identity from the key, and writes a profile deleted in an incremental window as deleted', async () => {
    // [key, value as the producer wrote it, or null for a tombstone]
    const messages: [string, string | null][] = [
      ['k1', '{"name":"one","plan":"paid"}'],
      ['k2', ' {\n "identity": "own-id", "name": "two"}'],
      ['k3', '{}'],
      ['k4', '{"name":"four"}'],
      ['k4', null],
      ['k"5', '{ "nested": {"a": [1, 2.50]} }'],
      ['k6', ' \n\t{"name":"six"}'],
    ];
    const sink = await RawSink.open(db, dir, { sliceBytes: 1 << 20, onSlice: () => undefined });
    await sink.append(
      0,
      messages.map(([key, value], i) => ({
        offset: BigInt(i),
        timestamp: BigInt(DAY + i * 1000),
        key: Buffer.from(key),
        value: value === null ? null : Buffer.from(value),
      })),
    );
    await sink.finish();
    const staged = async (incremental: boolean) =>
      (
        (await db.rows(
          `SELECT event FROM (${stageProfilesSql('UTC', '20260101', incremental)}) WHERE reason IS NULL ORDER BY "offset"`,
        )) as [string][]
      ).map(([e]) => JSON.parse(e));
    const alive = [
      { eventName: 'profiles', ts: 20260101000000, profile: { identity: 'k1', name: 'one', plan: 'paid' } },
      { eventName: 'profiles', ts: 20260101000001, profile: { identity: 'own-id', name: 'two' } },
      { eventName: 'profiles', ts: 20260101000002, profile: { identity: 'k3' } },
      { eventName: 'profiles', ts: 20260101000005, profile: { identity: 'k"5', nested: { a: [1, 2.5] } } },
      { eventName: 'profiles', ts: 20260101000006, profile: { identity: 'k6', name: 'six' } },
    ];
    expect(await staged(false)).toEqual(alive);
    expect(await staged(true)).toEqual([
      ...alive.slice(0, 3),
      { eventName: 'profiles', ts: 20260101000004, profile: { identity: 'k4' }, deleted: true },
      ...alive.slice(3),
    ]);
    // The identity comes first, so every format lists it first.
    const [first] = (await db.rows(
      `SELECT event FROM (${stageProfilesSql('UTC', '20260101')}) WHERE reason IS NULL ORDER BY "offset" LIMIT 1`,
    )) as [string][];
    expect(Object.keys(JSON.parse(first[0]).profile)).toEqual(['identity', 'name', 'plan']);
  });

  it("sets aside an event whose encoded name would make its object names too long under the export's prefix", async () => {
    const sink = await RawSink.open(db, dir, { sliceBytes: 1 << 20, onSlice: () => undefined });
    const names = ['short', 'x'.repeat(100), '\u00e9'.repeat(40)]; // 100 bytes as they are; 80 bytes, 240 once encoded
    await sink.append(
      0,
      names.map((eventName, i) => ({
        offset: BigInt(i),
        timestamp: BigInt(DAY),
        key: null,
        value: Buffer.from(JSON.stringify({ eventName, ts: 1 })),
      })),
    );
    await sink.finish();
    const reasons = async (max?: number) =>
      (
        (await db.rows(
          `SELECT reason FROM (${stageEventsSql('UTC', null, 'SELECT * FROM raw', max)}) ORDER BY "offset"`,
        )) as [string | null][]
      ).map(([r]) => r);
    expect(await reasons()).toEqual([null, null, null]);
    expect(await reasons(239)).toEqual([
      null,
      null,
      "eventName is too long for a file name under the export's prefix (at most 239 bytes once encoded)",
    ]);
    expect(await reasons(99)).toEqual([null, expect.stringContaining('too long'), expect.stringContaining('too long')]);
  });
});
