import { DuckDb, sqlString } from '@bulk-export/duckdb';
import { ChunkTarget } from '../chunking/chunk-writer';
import { SpooledBlock, spooledBlocks, writeLineBlocks } from '../chunking/line-files';
import { FileGroup, groupRowsSql, Records, recordFields } from './group';

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
  return `SELECT ${jsonLineSql(group, records)} AS line
    FROM (${groupRowsSql('event, json_keys(event) AS keys', group)})`;
}

/** A staged row's JSON line, from its `event` and `keys` (json_keys of the event). */
function jsonLineSql(group: { eventName: string; day: string }, records: Records): string {
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
  return `CASE WHEN ${asIs} THEN '{' || decode(encode(event)[strlen(${prefix}) + 1:]) ELSE ${rebuilt} END`;
}

/** Digits of a line's cut in the spool of writeJsonGroup. */
const CUT_DIGITS = 10;
const DIGIT_0 = 0x30;
const OPEN_OBJECT = 0x7b;

/**
 * The group's lines behind the digits of their cut: an event staged with its `json_cut`
 * (the extractor found it in the shape the JSON format keeps: see EventScanner) is its
 * message as staged, which JavaScript cuts (no parse, no copy in DuckDB); any other is
 * its line as jsonLinesSql builds it, behind a cut of 0.
 */
export function jsonCutLinesSql(group: { eventName: string; day: string }, records: Records = 'events'): string {
  return `SELECT CASE WHEN json_cut IS NOT NULL THEN lpad(json_cut::VARCHAR, ${CUT_DIGITS}, '0') || event ELSE '${'0'.repeat(CUT_DIGITS)}' || (${jsonLineSql(group, records)}) END AS line
    FROM (${groupRowsSql('event, json_cut, CASE WHEN json_cut IS NULL THEN json_keys(event) END AS keys', group)})`;
}

/** First line of a JSON file. */
export function jsonHeader(eventName: string): Buffer {
  return Buffer.from(JSON.stringify(eventName) + '\n', 'utf8');
}

export async function writeJsonGroup(
  db: DuckDb,
  group: FileGroup,
  target: ChunkTarget,
  records: Records = 'events',
): Promise<void> {
  await writeLineBlocks(
    target,
    jsonGroupBlocks(db, group, records, `${target.pathOf(0)}.spool`),
    jsonHeader(group.eventName),
  );
}

/**
 * The JSON lines of a group of the view `staged` (without their line ends), a block at a time, through the spool file
 * `spool` (see spooledBlocks).
 */
export async function* jsonGroupBlocks(
  db: DuckDb,
  group: { eventName: string; day: string },
  records: Records,
  spool: string,
): AsyncGenerator<SpooledBlock> {
  // Staging without json_cut (written by an older extractor, or a view of other columns): every line from SQL.
  if (!(await hasJsonCut(db))) {
    yield* spooledBlocks(db, jsonLinesSql(group, records), spool);
    return;
  }
  for await (const block of spooledBlocks(db, jsonCutLinesSql(group, records), spool)) {
    const { bytes, ranges } = block;
    // Each line after its cut (in place: the ranges are ours until the next block).
    for (let i = 0; i < ranges.length; i += 2) {
      const at = ranges[i];
      let cut = 0;
      for (let d = at; d < at + CUT_DIGITS; d++) cut = cut * 10 + bytes[d] - DIGIT_0;
      let start = at + CUT_DIGITS;
      if (cut > 0) {
        // `{` in place of the comma that ends the cut part.
        start += cut - 1;
        bytes[start] = OPEN_OBJECT;
      }
      ranges[i] = start;
    }
    yield block;
  }
}
async function hasJsonCut(db: DuckDb): Promise<boolean> {
  const rows = await db.rows(`SELECT 1 FROM (DESCRIBE staged) WHERE column_name = 'json_cut'`);
  return rows.length > 0;
}
