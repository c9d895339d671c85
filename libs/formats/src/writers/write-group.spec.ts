import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ExportFormat } from '@bulk-export/domain';
import { DuckDb, sqlString } from '@bulk-export/duckdb';
import { useScratchDuckDb } from '../../../duckdb/src/scratch-duckdb.spec-helper';
import { ChunkTarget } from '../chunking/chunk-writer';
import { writeGroup } from './write-group';

describe('a profile export group with a deleted profile, in every format', () => {
  const scratch = useScratchDuckDb('profiles-');
  let dir: string;
  let db: DuckDb;
  beforeEach(() => ({ db, dir } = scratch));

  const PROFILES = [
    '{"eventName":"profiles","ts":20260101000001,"profile":{"identity":"a","v":2}}',
    '{"eventName":"profiles","ts":20260101000002,"profile":{"identity":"b"},"deleted":true}',
  ];
  const stage = () =>
    db.run(
      `CREATE VIEW staged AS SELECT event, 'profiles' AS event_name, '20260101' AS day, 0 AS slice, row_number() OVER () - 1 AS row_id
       FROM (VALUES ${PROFILES.map((t, i) => `(${i}, ${sqlString(t)})`).join(', ')}) t(n, event) ORDER BY n`,
    );
  const write = async (format: ExportFormat, records: 'events' | 'profiles' = 'profiles') => {
    await stage();
    const target: ChunkTarget = {
      pathOf: (index) => join(dir, `out-${index}.${format}`),
      maxBytes: 1 << 20,
      gzip: false,
      onChunk: async () => undefined,
    };
    await writeGroup(
      db,
      { format, compression: format === 'parquet' ? 'snappy' : 'none', xmlLayout: 'documented', records },
      { eventName: 'profiles', day: '20260101', rows: 2 },
      target,
    );
    expect(readdirSync(dir).filter((f) => f.startsWith('out-'))).toEqual([`out-0.${format}`]);
    return join(dir, `out-0.${format}`);
  };

  it('JSON: the deleted record carries "deleted":true', async () => {
    expect(readFileSync(await write('json'), 'utf8')).toBe(
      '"profiles"\n{"ts":20260101000001,"profile":{"identity":"a","v":2}}\n{"ts":20260101000002,"profile":{"identity":"b"},"deleted":true}\n',
    );
  });

  it('CSV: a deleted column, true or empty', async () => {
    expect(readFileSync(await write('csv'), 'utf8')).toBe(
      'ts,eventName,profile.identity,profile.v,deleted\r\n20260101000001,profiles,a,2,\r\n20260101000002,profiles,b,,true\r\n',
    );
  });

  it('XML: <deleted>true</deleted> after the profile', async () => {
    expect(readFileSync(await write('xml'), 'utf8')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Events>\n' +
        '<Event><ts>20260101000001</ts><eventName>profiles</eventName><profile><identity>a</identity><v>2</v></profile></Event>\n' +
        '<Event><ts>20260101000002</ts><eventName>profiles</eventName><profile><identity>b</identity></profile><deleted>true</deleted></Event>\n' +
        '</Events>\n',
    );
  });

  it('Parquet: a BOOLEAN deleted column after the profile', async () => {
    const file = sqlString(await write('parquet'));
    expect(
      await db.rows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${file}))`),
    ).toEqual([
      ['ts', 'BIGINT'],
      ['eventName', 'VARCHAR'],
      ['profile', 'STRUCT("identity" VARCHAR, v BIGINT)'],
      ['deleted', 'BOOLEAN'],
    ]);
    expect(await db.rows(`SELECT profile.identity, deleted FROM read_parquet(${file})`)).toEqual([
      ['a', null],
      ['b', true],
    ]);
  });

  it('events keep their fields only: a top-level deleted of an event is not written', async () => {
    expect(readFileSync(await write('json', 'events'), 'utf8')).toContain(
      '{"ts":20260101000002,"profile":{"identity":"b"}}\n',
    );
  });
});
