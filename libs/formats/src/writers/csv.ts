import { BlockPool, StructureOfBlocks } from '../chunking/block-pool';
import { ChunkTarget } from '../chunking/chunk-writer';
import { writeEncodedBlocks } from '../chunking/encoded-blocks';
import { SpooledBlock } from '../chunking/line-files';
import { JsonStructure, leafPaths, normaliseStructure } from '../json/json-structure';
import { Records } from './group';

/**
 * The CSV format: a header row, then one row per event; nested fields are flattened into
 * columns named by their dotted path (`profile.identity`, `eventProps.Price`,
 * `eventProps.address.city`); arrays and mixed values are written as JSON text. The
 * columns of a file group are the union over its events, in sorted order, so they are
 * the same in every file of the group and a retry writes the same header.
 * Quoting follows RFC 4180 (CRLF line ends); a text cell that a spreadsheet would run as
 * a formula (starting with = + - @ tab or CR) is prefixed with a single quote. Cells are
 * written as DuckDB's JSON functions read the values (see CsvTranscoder).
 *
 * `events` gives the group's events (their JSON, a block at a time), each time it is called:
 * a first pass finds the columns, a second one writes the lines, on BlockPool's worker threads,
 * while earlier blocks are written.
 */
export async function writeCsvGroup(
  events: () => AsyncIterable<SpooledBlock>,
  target: ChunkTarget,
  records: Records = 'events',
): Promise<void> {
  const paths = await csvColumns(events, records);
  const header = Buffer.from(paths.map((path) => csvQuote(path.join('.'))).join(',') + '\r\n', 'utf8');
  const pool = BlockPool.get();
  await writeEncodedBlocks(events(), target, (bytes, ranges) => pool.csv(bytes, ranges, paths), header);
}

/**
 * The group's columns, as paths of keys: ts and eventName first, then every leaf path of
 * profile, deviceInfo and eventProps (profiles: of profile, then `deleted` when a profile of
 * the group was deleted).
 */
export async function csvColumns(
  events: () => AsyncIterable<SpooledBlock>,
  records: Records = 'events',
): Promise<string[][]> {
  const parsed = normaliseStructure(await groupStructure(events)) as Record<string, JsonStructure>;
  const nested = ['profile', 'deviceInfo', 'eventProps'].flatMap((f) => (f in parsed ? leafPaths(parsed[f], [f]) : []));
  const deleted = records === 'profiles' && 'deleted' in parsed ? [['deleted']] : [];
  return [['ts'], ['eventName'], ...nested, ...deleted];
}

/**
 * The union of the structures of a group's events, as json_structure() and
 * mergeStructures() define it. Worker threads parse the events and widen one structure per
 * block: several times faster than json_structure() per event in DuckDB, and far less
 * memory than json_group_structure() over the whole group.
 */
export async function groupStructure(events: () => AsyncIterable<SpooledBlock>): Promise<JsonStructure> {
  const structure = new StructureOfBlocks(BlockPool.get());
  for await (const { bytes, ranges } of events()) await structure.add(bytes, ranges);
  return structure.result();
}

/** RFC 4180 quoting of one cell, for the header. */
export function csvQuote(cell: string): string {
  const safe = /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
