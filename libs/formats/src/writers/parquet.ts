import { rename, rm, stat } from 'node:fs/promises';
import { DuckDb, sqlString } from '@bulk-export/duckdb';
import { BlockPool, StructureOfBlocks } from '../chunking/block-pool';
import { ChunkTarget, RecordTooLarge } from '../chunking/chunk-writer';
import { normaliseStructure } from '../json/json-structure';
import {
  EVENT_AT,
  FileGroup,
  GroupEvents,
  groupRowsSql,
  Records,
  recordFields,
  ROW_ID_DIGITS,
  rowRangeSql,
  stagedGroupEvents,
} from './group';

/** Columns in file order (a profile's `deleted` after its profile). */
const ORDER = ['ts', 'eventName', 'profile', 'deleted', 'deviceInfo', 'eventProps'];

export type ParquetCompression = 'snappy' | 'zstd' | 'none';

/**
 * The Parquet format, written by DuckDB's COPY: columns `ts`, `eventName`, and `profile`,
 * `deviceInfo`, `eventProps` as typed STRUCTs (the types are the union over the file
 * group; values of mixed types fall back to JSON text), compressed inside the file.
 *
 * One pass over the group's events gives both their structure and the files' plan:
 * Parquet cannot be cut at an exact byte, so files are first cut by the size of their
 * events' JSON (an upper bound of their Parquet size in practice), as ranges of the staged
 * rows' ids; a file that still comes out above the limit is split in half again.
 * Boundaries depend only on the data, and memory does not grow with the group. `events`: the
 * group's event lines when the caller has them at hand (by default spooled from `staged`).
 */
export async function writeParquetGroup(
  db: DuckDb,
  group: FileGroup,
  target: ChunkTarget,
  compression: ParquetCompression,
  records: Records = 'events',
  events: GroupEvents = stagedGroupEvents(db, group, `${target.pathOf(0)}.spool`),
): Promise<void> {
  const budget = Math.max(1, Math.floor(target.maxBytes * 0.9));
  const pending: Piece[] = [];
  let piece: Piece | null = null;
  const types = new StructureOfBlocks(BlockPool.get());
  for await (const { bytes, ranges } of events()) {
    // The id of a row whose range has been moved past it; read only where a piece starts or may end.
    const rowIdAt = (i: number) =>
      BigInt(bytes.toString('latin1', ranges[i] - EVENT_AT, ranges[i] - EVENT_AT + ROW_ID_DIGITS));
    for (let i = 0; i < ranges.length; i += 2) {
      // The event after its row id, in place: the ranges are ours until the next block.
      ranges[i] += EVENT_AT;
      const size = ranges[i + 1] - ranges[i];
      if (piece && piece.bytes + size > budget) {
        // Its last row is the one before (set at the end of the previous block when this is a block's first row).
        if (i > 0) piece.last = rowIdAt(i - 2);
        piece = null;
      }
      if (!piece) {
        const first = rowIdAt(i);
        piece = { first, last: first, rows: 0, bytes: 0 };
        pending.push(piece);
      }
      piece.rows += 1;
      piece.bytes += size;
    }
    if (piece && ranges.length > 0) piece.last = rowIdAt(ranges.length - 2);
    // Copied (to a worker thread, or read on this one) before add() returns: the reader may fill them again.
    await types.add(bytes, ranges);
  }
  const structure = await types.result();
  const normalised = normaliseStructure(structure);
  const fields = typeof normalised === 'object' && !Array.isArray(normalised) ? normalised : {};
  const columns = ['eventName', ...recordFields(records)]
    .sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b))
    .filter((c) => c in fields);
  const select = columns.map((c) => `e.${quoteIdent(c)} AS ${quoteIdent(c)}`).join(', ');
  const codec = compression === 'none' ? 'uncompressed' : compression;
  let index = 0;
  while (pending.length > 0) {
    const { first, last, rows } = pending.shift() as Piece;
    const range = rowRangeSql(first, last);
    const path = target.pathOf(index);
    const tmp = `${path}.part`;
    await db.run(`COPY (SELECT ${select} FROM (${groupRowsSql(`json_transform(event, ${sqlString(JSON.stringify(fields))}) AS e`, group, range)}))
      TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 32768)`);
    const { size } = await stat(tmp);
    if (size > target.maxBytes) {
      await rm(tmp, { force: true });
      if (rows === 1) throw new RecordTooLarge(size, target.maxBytes);
      pending.unshift(...(await halves(db, group, first, last)));
      continue;
    }
    await rename(tmp, path);
    await target.onChunk({ index, path, rows, bytes: size });
    index += 1;
  }
}

/** A file to be: the group's rows with row ids from `first` to `last`. */
interface Piece {
  first: bigint;
  last: bigint;
  rows: number;
  bytes: number;
}

/** Splits a piece of at least two rows into two by row count. */
async function halves(db: DuckDb, group: FileGroup, first: bigint, last: bigint): Promise<Piece[]> {
  const rowIds = `(${groupRowsSql('row_id', group, rowRangeSql(first, last))})`;
  const [[count, middle]] = (await db.rows(`SELECT count(*), quantile_disc(row_id, 0.5) FROM ${rowIds}`)) as [
    bigint,
    bigint,
  ][];
  // The lower median of two or more rows leaves at least one row on each side.
  const lower = Number(await db.scalar<bigint>(`SELECT count(*) FROM ${rowIds} WHERE row_id <= ${middle}`));
  return [
    { first, last: BigInt(middle), rows: lower, bytes: 0 },
    { first: BigInt(middle) + 1n, last, rows: Number(count) - lower, bytes: 0 },
  ];
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
