import { CSV_MACROS, csvRowsSql } from './csv';
import { DuckDb, sqlString } from '@bulk-export/duckdb';
import { useScratchDuckDb } from '../../../duckdb/src/scratch-duckdb.spec-helper';

describe('CSV rows', () => {
  const scratch = useScratchDuckDb('csv-', 1);
  let db: DuckDb;
  beforeEach(async () => {
    ({ db } = scratch);
    await db.run(CSV_MACROS);
  });

  it('writes typed columns (numbers, booleans, strings) as the generic macros would', async () => {
    const events = [
      { eventName: 'e', ts: 20260101000000, eventProps: { n: -5, d: 1.5e300, b: true, s: '=1+1', m: 'a,"b"' } },
      { eventName: 'e', ts: 20260101000001, eventProps: { n: null, d: -0.25, b: false, s: '-x', m: 'line\r\nbreak' } },
      { eventName: 'e', ts: 20260101000002, eventProps: { d: 3, s: null } },
      { eventName: 'e', ts: 20260101000003 },
    ];
    await db.run(
      `CREATE VIEW staged AS SELECT * FROM (VALUES ${events.map((e) => `(${sqlString(JSON.stringify(e))}, 'e', '20260101')`).join(', ')}) t(event, event_name, day)`,
    );
    const paths = [
      ['ts'],
      ['eventName'],
      ['eventProps', 'b'],
      ['eventProps', 'd'],
      ['eventProps', 'm'],
      ['eventProps', 'n'],
      ['eventProps', 's'],
    ];
    const typed = ['BIGINT', 'VARCHAR', 'BOOLEAN', 'DOUBLE', 'VARCHAR', 'BIGINT', 'VARCHAR'];
    const lines = async (types: string[]) =>
      (
        await db.rows(
          csvRowsSql(
            { eventName: 'e', day: '20260101' },
            paths.map((path, i) => ({ path, type: types[i] })),
          ),
        )
      ).map(([line]) => line);
    const generic = await lines(typed.map(() => 'JSON'));
    expect(await lines(typed)).toEqual(generic);
    expect(generic).toEqual([
      `20260101000000,e,true,1.5e300,"a,""b""",-5,'=1+1\r`,
      `20260101000001,e,false,-0.25,"line\r\nbreak",,'-x\r`,
      `20260101000002,e,,3,,,\r`,
      `20260101000003,e,,,,,\r`,
    ]);
  });
});
