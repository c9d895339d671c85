import { DuckDb } from './duckdb';
import { sqlString } from './event-day';
import { ChunkTarget, FileGroup, groupRowsSql, Records, recordFields } from './group';
import { writeLineFiles } from './line-files';

/**
 * The JSON format: a file's first line is the event name (as a JSON string, so any name
 * stays one line and the whole file is valid JSON Lines); each following line is one
 * object with `ts`, `profile`, `deviceInfo` and `eventProps`, each when the event has it
 * (a profile: `ts`, `profile` and, when it was deleted, `deleted`).
 *
 * Most events arrive in that shape already, behind their name: `{"eventName":"…",` then
 * only those fields, in that order, on one line. Their line is the message itself with
 * the name cut off, byte for byte (numbers keep the digits the producer wrote). Any other
 * event (other keys, another order, whitespace around the name, a line break) is rebuilt
 * from its fields. DuckDB does both, in one parse of the event, and writes the files.
 */
export function jsonLinesSql(group: { eventName: string; day: string }, records: Records = 'events'): string {
  const FIELDS = recordFields(records);
  const prefix = `('{"eventName":' || to_json(${sqlString(group.eventName)}::VARCHAR)::VARCHAR || ',')`;
  const fields = `[${FIELDS.map((f) => `'${f}'`).join(', ')}]`;
  const asIs = `starts_with(event, ${prefix})
    AND keys[2:] = list_filter(${fields}, lambda f: list_contains(keys, f))
    AND NOT contains(event, chr(10)) AND NOT contains(event, chr(13))`;
  const paths = FIELDS.map((f) => `'$.${f}'`).join(', ');
  const parts = FIELDS.map((f, i) => `'"${f}":' || json_extract(event, [${paths}])[${i + 1}]`);
  const rebuilt = `'{' || concat_ws(',', ${parts.join(', ')}) || '}'`;
  // The kept part is cut by bytes (a BLOB slice): a VARCHAR slice counts characters, 4× slower.
  return `SELECT CASE WHEN ${asIs} THEN '{' || decode(encode(event)[strlen(${prefix}) + 1:]) ELSE ${rebuilt} END AS line
    FROM (${groupRowsSql('event, json_keys(event) AS keys', group)})`;
}

/** First line of a JSON file. */
export function jsonHeader(eventName: string): Buffer {
  return Buffer.from(JSON.stringify(eventName) + '\n', 'utf8');
}

export async function writeJsonGroup(db: DuckDb, group: FileGroup, target: ChunkTarget, records: Records = 'events'): Promise<void> {
  await writeLineFiles(db, jsonLinesSql(group, records), target, jsonHeader(group.eventName));
}
