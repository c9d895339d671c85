import { ChunkWriter } from './chunk-writer';
import { DuckDb } from './duckdb';
import { asBuffer, ChunkTarget, FileGroup, groupRowsSql } from './group';

/** The fields of an event that a file carries, in this order; each only when the event has it. */
export const EVENT_FIELDS = ['ts', 'profile', 'deviceInfo', 'eventProps'] as const;

/**
 * The JSON format: a file's first line is the event name (as a JSON string, so any name
 * stays one line and the whole file is valid JSON Lines); each following line is one
 * object with `ts`, `profile`, `deviceInfo` and `eventProps`, each when the event has it.
 * DuckDB builds each line from the fields of the staged event (one parse) and hands it
 * over as bytes; JavaScript only copies them into the file.
 */
export function jsonLineSql(group: { eventName: string; day: string }): string {
  const paths = EVENT_FIELDS.map((f) => `'$.${f}'`).join(', ');
  const parts = EVENT_FIELDS.map((f, i) => `'"${f}":' || f[${i + 1}]`);
  return `SELECT encode('{' || concat_ws(',', ${parts.join(', ')}) || '}' || chr(10)) AS line
    FROM (${groupRowsSql(`json_extract(event, [${paths}]) AS f`, group)})`;
}

/** First line of a JSON file. */
export function jsonHeader(eventName: string): Buffer {
  return Buffer.from(JSON.stringify(eventName) + '\n', 'utf8');
}

export async function writeJsonGroup(db: DuckDb, group: FileGroup, target: ChunkTarget): Promise<void> {
  const writer = new ChunkWriter({ ...target, header: jsonHeader(group.eventName) });
  for await (const rows of db.stream(jsonLineSql(group))) {
    for (const [line] of rows as [Uint8Array][]) await writer.write(asBuffer(line));
  }
  await writer.end();
}
