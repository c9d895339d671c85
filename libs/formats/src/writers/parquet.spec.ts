import { join } from 'node:path';
import { DuckDb, sqlString } from '@bulk-export/duckdb';
import { useScratchDuckDb } from '../../../duckdb/src/scratch-duckdb.spec-helper';
import { ChunkTarget } from '../chunking/chunk-writer';
import { writeParquetGroup } from './parquet';

describe('Parquet files', () => {
  const scratch = useScratchDuckDb('parquet-');
  let dir: string;
  let db: DuckDb;
  beforeEach(() => ({ db, dir } = scratch));

  /** `texts` staged as one group (event name e, one day) of slice 0. */
  const stage = (texts: string[]) =>
    db.run(
      `CREATE VIEW staged AS SELECT event, 'e' AS event_name, '20260101' AS day, 0 AS slice, row_number() OVER () - 1 AS row_id
       FROM (VALUES ${texts.map((t, i) => `(${i}, ${sqlString(t)})`).join(', ')}) t(n, event) ORDER BY n`,
    );
  const target = (): ChunkTarget => ({
    pathOf: (index) => join(dir, `out-${index}.parquet`),
    maxBytes: 1 << 20,
    gzip: false,
    onChunk: async () => undefined,
  });

  it('keeps integers beyond 2^53 that BIGINT holds, digit for digit, and never turns a wider one into NULL', async () => {
    await stage([
      '{"eventName":"e","ts":20260101000000,"eventProps":{"big":9007199254740993,"neg":-9223372036854774000,"wide":18446744073709551615,"e":1e2}}',
      '{"eventName":"e","ts":20260101000001,"eventProps":{"big":12,"neg":-1,"wide":1,"e":7}}',
    ]);
    await writeParquetGroup(db, { eventName: 'e', day: '20260101', rows: 2 }, target(), 'snappy');
    const file = sqlString(join(dir, 'out-0.parquet'));
    const rows = await db.rows(
      `SELECT eventProps.big, eventProps.neg, eventProps.wide, eventProps.e, typeof(eventProps.big), typeof(eventProps.neg), typeof(eventProps.wide) FROM read_parquet(${file})`,
    );
    expect(rows).toEqual([
      [9007199254740993n, -9223372036854774000n, 2 ** 64, 100n, 'BIGINT', 'BIGINT', 'DOUBLE'],
      [12n, -1n, 1, 7n, 'BIGINT', 'BIGINT', 'DOUBLE'],
    ]);
  });
});
