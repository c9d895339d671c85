import { sqlString } from './event-day';

/** The events of one file group: one event name on one day. */
export interface FileGroup {
  eventName: string;
  day: string;
  rows: number;
}

/** SQL selecting a group's staged rows, in Kafka order (partition, offset) so files are deterministic. */
export function groupRowsSql(columns: string, group: { eventName: string; day: string }): string {
  return `SELECT ${columns} FROM staged WHERE event_name = ${sqlString(group.eventName)} AND day = ${sqlString(group.day)} ORDER BY partition, "offset"`;
}

/** Where a format writer puts its files: local paths by index, the size limit, and who takes finished files. */
export interface ChunkTarget {
  pathOf(index: number): string;
  maxBytes: number;
  gzip: boolean;
  onChunk(chunk: { index: number; path: string; rows: number; bytes: number }): Promise<void>;
}
