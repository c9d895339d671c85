import { sqlString } from './event-day';

/** The events of one file group: one event name on one day. */
export interface FileGroup {
  eventName: string;
  day: string;
  rows: number;
}

/**
 * SQL selecting a group's staged rows in the order they were staged, which is Kafka's
 * (partition, offset): a filter keeps DuckDB's insertion order, so files are deterministic
 * without a sort (whose memory would grow with the group).
 */
export function groupRowsSql(columns: string, group: { eventName: string; day: string }, where = ''): string {
  return `SELECT ${columns} FROM staged WHERE event_name = ${sqlString(group.eventName)} AND day = ${sqlString(group.day)}${where ? ` AND ${where}` : ''}`;
}

/** A BLOB value as DuckDB hands it over, seen as a Buffer without a copy. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Where a format writer puts its files: local paths by index, the size limit, and who takes finished files. */
export interface ChunkTarget {
  pathOf(index: number): string;
  maxBytes: number;
  gzip: boolean;
  onChunk(chunk: { index: number; path: string; rows: number; bytes: number }): Promise<void>;
}
