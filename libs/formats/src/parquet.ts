import { rename, rm, stat } from 'node:fs/promises';
import { RecordTooLarge } from './chunk-writer';
import { DuckDb } from './duckdb';
import { sqlString } from './event-day';
import { ChunkTarget, FileGroup } from './group';
import { groupStructure } from './csv';
import { normaliseStructure } from './json-structure';

export type ParquetCompression = 'snappy' | 'zstd' | 'none';

/**
 * The Parquet format, written by DuckDB's COPY: columns `ts`, `eventName`, and `profile`,
 * `deviceInfo`, `eventProps` as typed STRUCTs (DuckDB infers the types over the file
 * group; values of mixed types fall back to JSON text), compressed inside the file.
 *
 * Parquet cannot be cut at an exact byte, so a group is first split by the size of its
 * events' JSON (an upper bound of their Parquet size in practice) and any file that still
 * comes out above the limit is split in half again. Boundaries depend only on the data.
 */
export async function writeParquetGroup(db: DuckDb, group: FileGroup, target: ChunkTarget, compression: ParquetCompression): Promise<void> {
  const structure = normaliseStructure(await groupStructure(db, group));
  const fields = typeof structure === 'object' && !Array.isArray(structure) ? structure : {};
  const columns = ['ts', 'eventName', 'profile', 'deviceInfo', 'eventProps'].filter((c) => c in fields);
  const table = `pq_group`;
  await db.run(`CREATE OR REPLACE TEMP TABLE ${table} AS
    SELECT row_number() OVER (ORDER BY partition, "offset") AS rn,
           sum(strlen(event::VARCHAR)) OVER (ORDER BY partition, "offset" ROWS UNBOUNDED PRECEDING) AS upto,
           json_transform(event, ${sqlString(JSON.stringify(fields))}) AS e
    FROM staged WHERE event_name = ${sqlString(group.eventName)} AND day = ${sqlString(group.day)}`);
  try {
    const budget = Math.max(1, Math.floor(target.maxBytes * 0.9));
    const initial = (await db.rows(
      `SELECT min(rn), max(rn) FROM ${table} GROUP BY (upto - 1) // ${budget} ORDER BY 1`,
    )) as [bigint | number, bigint | number][];
    const pending = initial.map(([a, b]) => [Number(a), Number(b)] as [number, number]);
    const codec = compression === 'none' ? 'uncompressed' : compression;
    let index = 0;
    while (pending.length > 0) {
      const [first, last] = pending.shift() as [number, number];
      const path = target.pathOf(index);
      const tmp = `${path}.part`;
      await db.run(`COPY (SELECT ${columns.map((c) => `e.${quoteIdent(c)} AS ${quoteIdent(c)}`).join(', ')}
          FROM ${table} WHERE rn BETWEEN ${first} AND ${last} ORDER BY rn)
        TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 100000)`);
      const { size } = await stat(tmp);
      if (size > target.maxBytes) {
        await rm(tmp, { force: true });
        if (first === last) throw new RecordTooLarge(size, target.maxBytes);
        const middle = Math.floor((first + last) / 2);
        pending.unshift([first, middle], [middle + 1, last]);
        continue;
      }
      await rename(tmp, path);
      await target.onChunk({ index, path, rows: last - first + 1, bytes: size });
      index += 1;
    }
  } finally {
    await db.run(`DROP TABLE IF EXISTS ${table}`);
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
