import { open, rm } from 'node:fs/promises';
import { DuckDb, sqlString } from '@bulk-export/duckdb';
import {
  ChunkTarget,
  eventBlocks,
  EVENT_AT,
  FileGroup,
  GroupFormat,
  groupRowsSql,
  jsonGroupBlocks,
  jsonHeader,
  ROW_ID_DIGITS,
  SpooledBlock,
  writeGroup,
  writeLineBlocks,
  writeXmlBlocks,
} from '@bulk-export/formats';
import { stagedViewSql } from './staged-events';
import { LinesForm, StagedLinesReader } from './staged-lines';
import { isStagedLines, stagedSliceNumber } from './staging';

/**
 * Writes one file group from its staged files (`paths`, in slice order) in the export's format:
 * the Parquet slices through DuckDB (the temporary view `staged` on `db`), the slices staged as
 * lines (an events export's: see staged-lines.ts) as they are, each slice's lines in its turn,
 * so the files hold the group's events in the order of the slices either way. CSV and Parquet,
 * whose cells and types DuckDB makes, read the lines through DuckDB (groupEventsView).
 */
export async function writeStagedGroup(
  db: DuckDb,
  how: GroupFormat,
  group: FileGroup,
  paths: readonly string[],
  target: ChunkTarget,
): Promise<void> {
  if (!paths.some(isStagedLines)) {
    await db.run(stagedViewSql([...paths], { temporary: true }));
    return writeGroup(db, how, group, target);
  }
  const spool = `${target.pathOf(0)}.spool`;
  if ((how.format === 'csv' || how.format === 'parquet') && how.records === 'events') {
    const scratch = `${target.pathOf(0)}.events`;
    const files: string[] = [];
    try {
      await groupEventsView(db, group, paths, scratch, files);
      const reader = new StagedLinesReader();
      return await writeGroup(db, how, group, target, async function* () {
        for (const file of files) yield* reader.fileBlocks(file);
      });
    } finally {
      await Promise.all(files.map((f) => rm(f, { force: true })));
    }
  }
  if (how.format === 'json' && how.records === 'events') {
    const blocks = groupBlocks(db, group, paths, 'json', () => jsonGroupBlocks(db, group, 'events', spool));
    return writeLineBlocks(target, blocks, jsonHeader(group.eventName));
  }
  if (how.format === 'xml' && how.records === 'events') {
    const blocks = groupBlocks(db, group, paths, 'message', () => eventBlocks(db, group, spool));
    return writeXmlBlocks(blocks, target, { layout: how.xmlLayout, records: how.records });
  }
  throw new Error(`internal error: slices staged as lines cannot be written as ${how.format} ${how.records}`);
}

/**
 * The group's lines in slice order: each run of Parquet slices in one query (`fromStaged`, over the
 * view `staged` of those slices), each slice of lines (in `form`) read as it is.
 */
async function* groupBlocks(
  db: DuckDb,
  group: FileGroup,
  paths: readonly string[],
  form: LinesForm,
  fromStaged: () => AsyncIterable<SpooledBlock>,
): AsyncGenerator<SpooledBlock> {
  const lines = new StagedLinesReader();
  let parquet: string[] = [];
  for (const path of [...paths, null]) {
    if (path !== null && !isStagedLines(path)) {
      parquet.push(path);
      continue;
    }
    if (parquet.length > 0) {
      await db.run(stagedViewSql(parquet, { temporary: true }));
      yield* fromStaged();
      parquet = [];
    }
    if (path !== null) yield* lines.blocks(path, form, group);
  }
}

/** Bytes of an events file buffered before they are written. */
const EVENTS_BUFFER_BYTES = 1 << 20;
/** Row ids are slice × 2^32 + the row's place in its slice: below this slice number they are exact as numbers. */
const MAX_SLICE = 2 ** 21;
const SEPARATOR = 0x01;
const NEWLINE = 0x0a;
const DIGIT_0 = 0x30;

/**
 * Makes the temporary view `staged` hold a group's events from slices of both kinds, as the CSV
 * and Parquet writers read it (`row_id`, `slice`, `event`, `event_name`, `day`; the rows in the
 * slices' order, their row ids rising). DuckDB's parallel CSV reader reads them from events files
 * (`scratch` and a number, in order, added to `files` as they are made: the caller removes them), a
 * line per event as the writers read them too (GroupEvents): `<row id, 19 digits> 0x01 <event>`.
 *
 * A run of slices staged as lines goes into a file as the lines are read (they hold no line end,
 * 0x01 or NUL and are UTF-8: RawSink stages no other message as a line), their rows numbered as
 * they follow each other in their slice. A run of Parquet slices goes into a file DuckDB writes,
 * with the row ids the view over those files gives, each event's line ends turned into spaces:
 * they can only be whitespace between a valid event's tokens (a JSON string holds none), which
 * neither CSV's cells nor Parquet's values keep (DuckDB re-serialises the JSON it extracts).
 */
async function groupEventsView(
  db: DuckDb,
  group: { eventName: string; day: string },
  paths: readonly string[],
  scratch: string,
  files: string[],
): Promise<void> {
  const lines = new StagedLinesReader();
  const out = Buffer.allocUnsafeSlow(EVENTS_BUFFER_BYTES);
  let longest = 0;
  for (let at = 0; at < paths.length;) {
    const path = `${scratch}-${files.length}`;
    files.push(path);
    if (!isStagedLines(paths[at])) {
      const parquet: string[] = [];
      while (at < paths.length && !isStagedLines(paths[at])) parquet.push(paths[at++]);
      await db.run(stagedViewSql(parquet, { temporary: true }));
      const line = `lpad(row_id::VARCHAR, ${ROW_ID_DIGITS}, '0') || chr(1) || translate(event, chr(13) || chr(10), '  ')`;
      await db.run(
        `COPY (${groupRowsSql(`${line} AS line`, group)}) TO ${sqlString(path)} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '')`,
      );
      const [[length]] = (await db.rows(
        `SELECT coalesce(max(strlen(event)), 0) FROM (${groupRowsSql('event', group)})`,
      )) as [bigint][];
      longest = Math.max(longest, Number(length));
      continue;
    }
    const file = await open(path, 'w');
    try {
      let used = 0;
      for (; at < paths.length && isStagedLines(paths[at]); at++) {
        const slice = stagedSliceNumber(paths[at]);
        if (slice >= MAX_SLICE) throw new Error(`internal error: slice number ${slice} is too large for a row id`);
        let rowId = slice * 2 ** 32;
        for await (const { bytes, ranges } of lines.blocks(paths[at], 'message', group)) {
          for (let i = 0; i < ranges.length; i += 2) {
            const [start, end] = [ranges[i], ranges[i + 1]];
            longest = Math.max(longest, end - start);
            if (used + EVENT_AT + end - start + 1 > out.length) {
              await file.write(out, 0, used);
              used = 0;
            }
            // The row id's digits, from the last.
            for (let d = used + ROW_ID_DIGITS - 1, n = rowId++; d >= used; d--, n = Math.floor(n / 10))
              out[d] = DIGIT_0 + (n % 10);
            used += ROW_ID_DIGITS;
            out[used++] = SEPARATOR;
            if (EVENT_AT + end - start + 1 > out.length) {
              // A line longer than the buffer: written from where it is read.
              await file.write(out, 0, used);
              await file.write(bytes, start, end - start);
              used = 0;
            } else used += bytes.copy(out, used, start, end);
            out[used++] = NEWLINE;
          }
        }
      }
      if (used > 0) await file.write(out, 0, used);
    } finally {
      await file.close();
    }
  }
  // The reader's buffer holds several of the longest lines.
  const maxLine = Math.max(1 << 20, longest + 64);
  await db.run(`CREATE OR REPLACE TEMP VIEW staged AS
    SELECT row_id, (row_id >> 32)::INTEGER AS slice, event, ${sqlString(group.eventName)} AS event_name, ${sqlString(group.day)} AS day
    FROM read_csv([${files.map(sqlString).join(', ')}], delim = '\x01', quote = '', escape = '', header = false,
      new_line = '\\n', auto_detect = false, strict_mode = true, max_line_size = ${maxLine}, buffer_size = ${4 * maxLine},
      columns = {'row_id': 'BIGINT', 'event': 'VARCHAR'})`);
}
