import { readdirSync } from 'node:fs';
import { DuckDb } from '@bulk-export/duckdb';
import type { RangeRecord } from '@bulk-export/messaging';
import { RawSink, removeRawFiles } from './raw-sink';
import { useScratchDuckDb } from '../../duckdb/src/scratch-duckdb.spec-helper';

describe('RawSink', () => {
  const scratch = useScratchDuckDb('raw-sink-');
  let dir: string;
  let db: DuckDb;
  beforeEach(() => ({ db, dir } = scratch));

  const record = (offset: number, key: Buffer | string | null, value: Buffer | string | null): RangeRecord => ({
    offset: BigInt(offset),
    timestamp: 1_700_000_000_000n + BigInt(offset),
    key: typeof key === 'string' ? Buffer.from(key) : key,
    value: typeof value === 'string' ? Buffer.from(value) : value,
  });

  it('hands over every key and value exactly, in (partition, offset) order, whatever their bytes', async () => {
    const hostile = [
      '{"a":"x"}',
      'line\nbreak',
      'cr\rhere',
      'sep\u0001arated',
      'nul\u0000byte',
      'tab\there',
      'Ünïcødé 😀',
      '"quoted",comma',
      '\\',
      '=',
    ];
    const sink = await RawSink.open(db, dir);
    // Partitions arrive interleaved, as fetch responses deliver them.
    for (const partition of [1, 0]) {
      await sink.append(
        partition,
        hostile.map((v, i) => record(i, i % 3 === 0 ? null : v, v)),
      );
    }
    await sink.append(0, [record(100, '', ''), record(101, 'tombstone', null)]);
    await sink.finish();
    const rows = await db.rows('SELECT partition, "offset", capture_ms, key, value FROM raw');
    const expected = [
      ...hostile.map((v, i) => [0, BigInt(i), 1_700_000_000_000n + BigInt(i), i % 3 === 0 ? null : v, v]),
      [0, 100n, 1_700_000_000_100n, '', ''],
      [0, 101n, 1_700_000_000_101n, 'tombstone', null],
      ...hostile.map((v, i) => [1, BigInt(i), 1_700_000_000_000n + BigInt(i), i % 3 === 0 ? null : v, v]),
    ];
    expect(rows).toEqual(expected);
    expect(sink.rows).toBe(2 * hostile.length + 2);
  });

  it('writes every offset and timestamp exactly, large, small and negative (no timestamp)', async () => {
    const numbers: [bigint, bigint][] = [
      [0n, -1n],
      [9n, 0n],
      [99_999_999n, 100_000_000n],
      [100_000_000n, 1_700_000_000_000n],
      [123_456_789_012n, 1_000_000_000_001n],
      [2n ** 53n - 1n, 9_999_999_999_999n],
      [2n ** 53n + 1n, -1_700_000_000_000n],
    ];
    const sink = await RawSink.open(db, dir);
    await sink.append(
      7,
      numbers.map(([offset, timestamp]) => ({ offset, timestamp, key: null, value: Buffer.from('{}') })),
    );
    await sink.append(12345, [{ offset: 5n, timestamp: 5n, key: Buffer.from('k'), value: Buffer.from('{"a":1}') }]);
    await sink.finish();
    expect(await db.rows('SELECT partition, "offset", capture_ms, key, value FROM raw')).toEqual([
      ...numbers.map(([offset, timestamp]) => [7, offset, timestamp, null, '{}']),
      [12345, 5n, 5n, 'k', '{"a":1}'],
    ]);
  });

  it('decodes invalid UTF-8 with replacement characters, as everywhere else', async () => {
    const sink = await RawSink.open(db, dir);
    await sink.append(0, [record(0, Buffer.from([0x6b, 0xff]), Buffer.from([0x7b, 0xc3, 0x28, 0x7d]))]);
    await sink.finish();
    expect(await db.rows('SELECT key, value FROM raw')).toEqual([['k\uFFFD', '{\uFFFD(}']]);
  });

  it('sends a record too long for a line through the appender, after the others', async () => {
    const big = `{"pad":"${'x'.repeat(9 * 1024 * 1024)}"}`;
    const sink = await RawSink.open(db, dir);
    await sink.append(0, [record(0, 'a', '{}'), record(1, 'b', big), record(2, 'c', '{"n":2}')]);
    await sink.finish();
    expect(sink.slowRows).toBe(1);
    const rows = (await db.rows('SELECT "offset", key, strlen(value) FROM raw')) as [bigint, string, bigint][];
    expect(rows).toEqual([
      [0n, 'a', 2n],
      [2n, 'c', 7n],
      [1n, 'b', BigInt(big.length)],
    ]);
  });

  it('removes its files once staged', async () => {
    const sink = await RawSink.open(db, dir);
    await sink.append(3, [record(0, null, '{}')]);
    await sink.finish();
    expect(readdirSync(dir).filter((f) => f.endsWith('.lines'))).toEqual(['raw-3-000000.lines']);
    await db.run('CREATE TABLE kept AS SELECT * FROM raw');
    await removeRawFiles(dir);
    expect(readdirSync(dir).filter((f) => f.endsWith('.lines'))).toEqual([]);
  });

  it('ends a slice at the record that fills it, within a batch', async () => {
    const sink = await RawSink.open(db, dir, { sliceBytes: 1100 });
    const records = Array.from({ length: 50 }, (_, n) => record(n, null, `{"n":${n},"pad":"${'p'.repeat(80)}"}`));
    await sink.append(0, records);
    await sink.finish();
    expect(sink.slices).toHaveLength(5);
    const other = await db.connect();
    try {
      for (const [i, slice] of sink.slices.entries())
        expect(await other.rows(`SELECT min("offset"), max("offset") FROM (${slice.select})`)).toEqual([
          [BigInt(10 * i), BigInt(10 * i + 9)],
        ]);
    } finally {
      other.close();
    }
  });

  it('cuts each partition into slices that list raw in order, with the appender records last', async () => {
    const completed: number[] = [];
    const sink = await RawSink.open(db, dir, { sliceBytes: 1100, onSlice: (slice) => completed.push(slice.number) });
    const value = (n: number) => `{"n":${n},"pad":"${'p'.repeat(80)}"}`;
    // Batches of 10 records of about 120 bytes a line: a partition's file is full after one batch.
    for (let batch = 0; batch < 3; batch++) {
      for (const partition of [2, 0]) {
        await sink.append(
          partition,
          Array.from({ length: 10 }, (_, i) => record(batch * 10 + i, null, value(batch * 10 + i))),
        );
      }
    }
    await sink.append(0, [record(30, 'big', `{"pad":"${'x'.repeat(9 * 1024 * 1024)}"}`)]);
    await sink.finish();
    expect(sink.slices).toHaveLength(7);
    expect(
      readdirSync(dir)
        .filter((f) => f.endsWith('.lines'))
        .sort(),
    ).toEqual([
      'raw-0-000000.lines',
      'raw-0-000001.lines',
      'raw-0-000002.lines',
      'raw-2-000000.lines',
      'raw-2-000001.lines',
      'raw-2-000002.lines',
    ]);
    const bySlice: unknown[][] = [];
    // Slices are handed over as they complete, partitions interleaved; their numbers give the order.
    expect(completed).toEqual([2 * 65536, 0, 2 * 65536 + 1, 1, 2, 2 * 65536 + 2, 2 ** 31 - 1]);
    expect(sink.slices.map((s) => s.number)).toEqual([...completed].sort((a, b) => a - b));
    // Each slice is staged on a connection of its own (the extractor's DuckDbQueue), not the sink's.
    const other = await db.connect();
    try {
      for (const slice of sink.slices)
        bySlice.push(...(await other.rows(`SELECT partition, "offset" FROM (${slice.select})`)));
    } finally {
      other.close();
    }
    const all = await db.rows('SELECT partition, "offset" FROM raw');
    expect(bySlice).toEqual(all);
    expect(all).toEqual([
      ...Array.from({ length: 30 }, (_, i) => [0, BigInt(i)]),
      ...Array.from({ length: 30 }, (_, i) => [2, BigInt(i)]),
      [0, 30n],
    ]);
  });
});
