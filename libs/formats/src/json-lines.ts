import { DuckDb } from './duckdb';
import { sqlString } from './event-day';
import { ChunkTarget, FileGroup, groupRowsSql } from './group';
import { writeLineFiles } from './line-files';

/** The fields of an event that a file carries, in this order; each only when the event has it. */
export const EVENT_FIELDS = ['ts', 'profile', 'deviceInfo', 'eventProps'] as const;

/**
 * The JSON format: a file's first line is the event name (as a JSON string, so any name
 * stays one line and the whole file is valid JSON Lines); each following line is one
 * object with `ts`, `profile`, `deviceInfo` and `eventProps`, each when the event has it.
 *
 * Most events arrive in that shape already, behind their name: `{"eventName":"…",` then
 * only those fields, in that order, on one line. Their line is the message itself with
 * the name cut off, byte for byte (numbers keep the digits the producer wrote). Any other
 * event (other keys, another order, whitespace around the name, a line break) is rebuilt
 * from its fields. DuckDB does both, in one parse of the event, and writes the files.
 */
export function jsonLinesSql(group: { eventName: string; day: string }): string {
  const prefix = `('{"eventName":' || to_json(${sqlString(group.eventName)}::VARCHAR)::VARCHAR || ',')`;
  const fields = `[${EVENT_FIELDS.map((f) => `'${f}'`).join(', ')}]`;
  const asIs = `starts_with(event, ${prefix})
    AND keys[2:] = list_filter(${fields}, lambda f: list_contains(keys, f))
    AND NOT contains(event, chr(10)) AND NOT contains(event, chr(13))`;
  const paths = EVENT_FIELDS.map((f) => `'$.${f}'`).join(', ');
  const parts = EVENT_FIELDS.map((f, i) => `'"${f}":' || json_extract(event, [${paths}])[${i + 1}]`);
  const rebuilt = `'{' || concat_ws(',', ${parts.join(', ')}) || '}'`;
  // The kept part is cut by bytes (a BLOB slice): a VARCHAR slice counts characters, 4× slower.
  return `SELECT CASE WHEN ${asIs} THEN '{' || decode(encode(event)[strlen(${prefix}) + 1:]) ELSE ${rebuilt} END AS line
    FROM (${groupRowsSql('event, json_keys(event) AS keys', group)})`;
}

/** First line of a JSON file. */
export function jsonHeader(eventName: string): Buffer {
  return Buffer.from(JSON.stringify(eventName) + '\n', 'utf8');
}

export async function writeJsonGroup(db: DuckDb, group: FileGroup, target: ChunkTarget): Promise<void> {
  await writeLineFiles(db, jsonLinesSql(group), target, jsonHeader(group.eventName));
}
