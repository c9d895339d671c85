import type { ExportCompression, ExportFormat, XmlLayout } from '@bulk-export/domain';
import { DuckDb, sqlString } from '@bulk-export/duckdb';
import { SpooledBlock, spooledBlocks } from '../chunking/line-files';

/**
 * What a group's files hold: `events`, or a profile export's `profiles`, whose records may
 * carry `deleted: true` (a profile deleted in the window of an incremental export).
 */
export type Records = 'events' | 'profiles';

/** How a group is written: the export's format and its options. */
export interface GroupFormat {
  format: ExportFormat;
  compression: ExportCompression;
  xmlLayout: XmlLayout;
  records: Records;
}

/**
 * The top-level fields of a record that files carry besides the event name, in this order; each only when the record
 * has it.
 */
export function recordFields(records: Records): readonly string[] {
  return records === 'profiles' ? ['ts', 'profile', 'deleted'] : ['ts', 'profile', 'deviceInfo', 'eventProps'];
}

/** The events of one file group: one event name on one day. */
export interface FileGroup {
  eventName: string;
  day: string;
  rows: number;
}

/**
 * SQL selecting a group's staged rows in the order they were staged, which is Kafka's
 * (partition, offset) within the group: a filter keeps DuckDB's insertion order, so files
 * are deterministic without a sort (whose memory would grow with the group). Staged
 * slices are sorted by group, so the filter skips the other groups' row groups.
 */
export function groupRowsSql(columns: string, group: { eventName: string; day: string }, where = ''): string {
  return `SELECT ${columns} FROM staged WHERE event_name = ${sqlString(group.eventName)} AND day = ${sqlString(group.day)}${where ? ` AND ${where}` : ''}`;
}

/**
 * SQL narrowing staged rows to row ids from `first` to `last`. A row id is (slice << 32) +
 * the row's position in its slice's file (or among the group's rows of a slice staged as
 * lines); the condition on `slice` lets DuckDB skip the files and row groups of other slices
 * (by Parquet's statistics, or the events files' folders: staged-group.ts).
 */
export function rowRangeSql(first: bigint, last: bigint): string {
  return `slice BETWEEN ${first >> 32n} AND ${last >> 32n} AND row_id BETWEEN ${first} AND ${last}`;
}

/** Digits of a row id in a group's event lines (row ids are below 2^63). */
export const ROW_ID_DIGITS = 19;
/** Where a group's event line's event starts: after its row id and the separator 0x01. */
export const EVENT_AT = ROW_ID_DIGITS + 1;

/**
 * A group's rows in order, a block of lines at a time, each line `<row id: ROW_ID_DIGITS digits>
 * 0x01 <event>`: what the CSV and Parquet writers read in JavaScript (the columns' types, the
 * files' plan) before DuckDB writes the files.
 */
export type GroupEvents = () => AsyncIterable<SpooledBlock>;

/** A group's event lines from the view `staged`, through a spool file (`spool`) DuckDB writes. */
export function stagedGroupEvents(db: DuckDb, group: { eventName: string; day: string }, spool: string): GroupEvents {
  const line = `lpad(row_id::VARCHAR, ${ROW_ID_DIGITS}, '0') || chr(1) || event AS line`;
  return () => spooledBlocks(db, groupRowsSql(line, group), spool);
}
