import { DuckDb, sqlString } from '@bulk-export/duckdb';
import { BlockPool, StructureOfBlocks } from '../chunking/block-pool';
import { ChunkTarget } from '../chunking/chunk-writer';
import { writeLineFiles } from '../chunking/line-files';
import { JsonStructure, jsonPointer, leafPaths, normaliseStructure } from '../json/json-structure';
import { EVENT_AT, FileGroup, GroupEvents, groupRowsSql, Records, stagedGroupEvents } from './group';

/**
 * The CSV format: a header row, then one row per event; nested fields are flattened into
 * columns named by their dotted path (`profile.identity`, `eventProps.Price`,
 * `eventProps.address.city`); arrays and mixed values are written as JSON text. The
 * columns of a file group are the union over its events, in sorted order, so they are
 * the same in every file of the group and a retry writes the same header.
 * Quoting follows RFC 4180 (CRLF line ends); a text cell that a spreadsheet would run as
 * a formula (starting with = + - @ tab or CR) is prefixed with a single quote.
 * `events`: the group's event lines when the caller has them at hand (by default spooled from
 * `staged`).
 */
export async function writeCsvGroup(
  db: DuckDb,
  group: FileGroup,
  target: ChunkTarget,
  records: Records = 'events',
  events: GroupEvents = stagedGroupEvents(db, group, `${target.pathOf(0)}.spool`),
): Promise<void> {
  const columns = await csvColumns(events, records);
  const header = Buffer.from(columns.map((c) => csvQuote(c.path.join('.'))).join(',') + '\r\n', 'utf8');
  await db.run(CSV_MACROS);
  await writeLineFiles(db, csvRowsSql(group, columns), target, header);
}

/** A CSV column: its path in the events, and the type of its values over the group (normalised). */
export interface CsvColumn {
  path: string[];
  type: JsonStructure;
}

/**
 * The group's columns: ts and eventName first, then every leaf path of profile, deviceInfo
 * and eventProps (profiles: of profile, then `deleted` when a profile of the group was
 * deleted).
 */
export async function csvColumns(events: GroupEvents, records: Records = 'events'): Promise<CsvColumn[]> {
  const parsed = normaliseStructure(await groupStructure(events)) as Record<string, JsonStructure>;
  const nested = ['profile', 'deviceInfo', 'eventProps'].flatMap((f) => (f in parsed ? leafPaths(parsed[f], [f]) : []));
  const deleted = records === 'profiles' && 'deleted' in parsed ? [['deleted']] : [];
  return [['ts'], ['eventName'], ...nested, ...deleted].map((path) => ({ path, type: structureAt(parsed, path) }));
}

/** The structure found at `path`, or JSON where the path leaves it. */
function structureAt(structure: JsonStructure, path: string[]): JsonStructure {
  let at = structure;
  for (const key of path) {
    if (typeof at !== 'object' || Array.isArray(at) || !Object.prototype.hasOwnProperty.call(at, key)) return 'JSON';
    at = at[key];
  }
  return at;
}

/**
 * The union of the structures of a group's events, as json_structure() and
 * mergeStructures() define it. Worker threads parse the events and widen one structure per
 * block: several times faster than json_structure() per event in DuckDB, and far less
 * memory than json_group_structure() over the whole group.
 */
export async function groupStructure(events: GroupEvents): Promise<JsonStructure> {
  const structure = new StructureOfBlocks(BlockPool.get());
  for await (const { bytes, ranges } of events()) {
    // The events after their row ids, in place: the ranges are ours until the next block.
    for (let i = 0; i < ranges.length; i += 2) ranges[i] += EVENT_AT;
    await structure.add(bytes, ranges);
  }
  return structure.result();
}

/** Macros the CSV rows use: a JSON value as cell text (formulas neutralised), and RFC 4180 quoting. */
export const CSV_MACROS = String.raw`
  CREATE OR REPLACE TEMP MACRO csv_text(v) AS CASE
    WHEN v IS NULL OR json_type(v) = 'NULL' THEN ''
    WHEN json_type(v) = 'VARCHAR' THEN
      CASE WHEN regexp_matches(v ->> '$', '^[=+\-@\t\r]') THEN '''' || (v ->> '$') ELSE v ->> '$' END
    ELSE v::VARCHAR END;
  CREATE OR REPLACE TEMP MACRO csv_string(s) AS CASE
    WHEN s IS NULL THEN ''
    WHEN regexp_matches(s, '^[=+\-@\t\r]') THEN '''' || s
    ELSE s END;
  CREATE OR REPLACE TEMP MACRO csv_quote(t) AS
    CASE WHEN regexp_matches(t, '[",\r\n]') THEN '"' || replace(t, '"', '""') || '"' ELSE t END;`;

/**
 * Types whose every value is a JSON number or boolean: the cell is the value's JSON text, with nothing to quote or
 * neutralise.
 */
const PLAIN_TYPES = new Set<JsonStructure>(['BIGINT', 'DOUBLE', 'BOOLEAN']);

/**
 * One CSV line per row of the group, built by DuckDB; each event is parsed once. The line
 * ends in CR, and the file writer's LF completes the CRLF. The column pass knows each
 * column's type: numbers and booleans (or null) skip the text macros, which are most of
 * CSV's time, and strings are unescaped once; mixed columns take the generic macros.
 */
export function csvRowsSql(group: { eventName: string; day: string }, columns: CsvColumn[]): string {
  const pointers = `[${columns.map((c) => sqlString(jsonPointer(c.path))).join(', ')}]`;
  const cells = columns.map((c, i) => {
    const v = `v[${i + 1}]`;
    if (PLAIN_TYPES.has(c.type)) return `coalesce(nullif(${v}::VARCHAR, 'null'), '')`;
    // A column of strings (or nulls): the string itself, unescaped once.
    if (c.type === 'VARCHAR') return `csv_quote(csv_string(${v} ->> '$'))`;
    return `csv_quote(csv_text(${v}))`;
  });
  return `SELECT concat_ws(',', ${cells.join(', ')}) || chr(13) AS line
    FROM (${groupRowsSql(`json_extract(event, ${pointers}) AS v`, group)})`;
}

/** RFC 4180 quoting of one cell, for the header. */
export function csvQuote(cell: string): string {
  const safe = /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
