import { mkdir, open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
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
  writeCsvGroup,
  writeXmlBlocks,
} from '@bulk-export/formats';
import { stagedViewSql } from './staged-events';
import { LinesForm, StagedLinesReader } from './staged-lines';
import { isStagedLines, stagedSliceNumber } from './staging';
import { FIELD_SEPARATOR, readSeparatedLinesSql, writeAll } from './separated-lines';

/**
 * Writes one file group from its staged files (`paths`, in slice order) in the export's format:
 * the Parquet slices through DuckDB (the temporary view `staged` on `db`), the slices staged as
 * lines (an events export's: see staged-lines.ts) as they are, each slice's lines in its turn,
 * so the files hold the group's events in the order of the slices either way. Parquet, whose
 * values DuckDB makes, reads the lines through DuckDB (groupEventsView).
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
  if (how.format === 'parquet' && how.records === 'events') {
    const scratch = `${target.pathOf(0)}.events`;
    try {
      const files = await groupEventsView(db, group, paths, scratch);
      const reader = new StagedLinesReader();
      return await writeGroup(db, how, group, target, async function* () {
        for (const file of files) yield* reader.fileBlocks(file);
      });
    } finally {
      await db.run('DROP VIEW IF EXISTS staged');
      await rm(scratch, { recursive: true, force: true });
    }
  }
  if (how.format === 'json' && how.records === 'events') {
    const blocks = groupBlocks(db, group, paths, 'json', () => jsonGroupBlocks(db, group, 'events', spool));
    return writeLineBlocks(target, blocks, jsonHeader(group.eventName));
  }
  // XML and CSV: the events' JSON as the messages held it (CSV reads them twice: columns, then lines).
  const events = () => groupBlocks(db, group, paths, 'message', () => eventBlocks(db, group, spool));
  if (how.format === 'xml' && how.records === 'events')
    return writeXmlBlocks(events(), target, { layout: how.xmlLayout, records: how.records });
  if (how.format === 'csv' && how.records === 'events') return writeCsvGroup(events, target, how.records);
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
const NEWLINE = 0x0a;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/**
 * Makes the temporary view `staged` hold a group's events from slices of both kinds, as the CSV
 * and Parquet writers read it (`row_id`, `slice`, `event`, `event_name`, `day`; the rows in the
 * slices' order, row ids rising, `slice` = row_id >> 32), and returns the files it reads, in
 * order, whose lines the writers read too (GroupEvents): `<row id, 19 digits> 0x01 <event>`.
 *
 * Each slice with rows of the group gets a file in the folder `scratch` (the caller removes it),
 * under `slice=<number>/`: DuckDB's CSV reader reads them in parallel, and a condition on `slice`
 * (a Parquet file's piece: rowRangeSql) skips the other slices' files, as Parquet's statistics
 * skip row groups. A slice staged as lines goes in as it is read (its lines hold no line end,
 * 0x01 or NUL and are UTF-8: RawSink stages no other message as a line), its rows numbered as
 * they follow each other. A Parquet slice goes in through DuckDB, with the row ids the view over
 * that file gives, each event's CR and LF turned into spaces: they can only be whitespace
 * between a valid event's tokens (a JSON string holds none), which neither CSV's cells nor
 * Parquet's values keep (DuckDB re-serialises the JSON it extracts).
 */
export async function groupEventsView(
  db: DuckDb,
  group: { eventName: string; day: string },
  paths: readonly string[],
  scratch: string,
): Promise<string[]> {
  const files: string[] = [];
  const lines = new StagedLinesReader();
  const out = Buffer.allocUnsafeSlow(EVENTS_BUFFER_BYTES);
  let longest = 0;
  for (const staged of paths) {
    const slice = stagedSliceNumber(staged);
    const folder = join(scratch, `slice=${String(slice).padStart(10, '0')}`);
    const path = join(folder, 'events.csv');
    if (!isStagedLines(staged)) {
      await db.run(stagedViewSql([staged], { temporary: true }));
      const [[rows, length]] = (await db.rows(
        `SELECT count(*), coalesce(max(strlen(event)), 0) FROM (${groupRowsSql('event', group)})`,
      )) as [bigint, bigint][];
      if (rows === 0n) continue;
      longest = Math.max(longest, Number(length));
      await mkdir(folder, { recursive: true });
      const line = `lpad(row_id::VARCHAR, ${ROW_ID_DIGITS}, '0') || chr(1) || translate(event, chr(13) || chr(10), '  ')`;
      await db.run(
        `COPY (${groupRowsSql(`${line} AS line`, group)}) TO ${sqlString(path)} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '')`,
      );
      files.push(path);
      continue;
    }
    // The row id as digits, counted up a row at a time: slice numbers reach 2^31, row ids beyond 2^53.
    const rowId = Buffer.from(String(BigInt(slice) << 32n).padStart(ROW_ID_DIGITS, '0'), 'latin1');
    let file: FileHandle | null = null;
    let used = 0;
    try {
      for await (const { bytes, ranges } of lines.blocks(staged, 'message', group)) {
        if (!file) {
          await mkdir(folder, { recursive: true });
          file = await open(path, 'w');
          files.push(path);
        }
        for (let i = 0; i < ranges.length; i += 2) {
          const [start, end] = [ranges[i], ranges[i + 1]];
          longest = Math.max(longest, end - start);
          if (used + EVENT_AT + end - start + 1 > out.length) {
            await writeAll(file, out.subarray(0, used));
            used = 0;
          }
          used += rowId.copy(out, used);
          out[used++] = FIELD_SEPARATOR;
          if (EVENT_AT + end - start + 1 > out.length) {
            // A line longer than the buffer: written from where it was read.
            await writeAll(file, out.subarray(0, used));
            await writeAll(file, bytes.subarray(start, end));
            used = 0;
          } else used += bytes.copy(out, used, start, end);
          out[used++] = NEWLINE;
          countUp(rowId);
        }
      }
      if (file && used > 0) await writeAll(file, out.subarray(0, used));
    } finally {
      await file?.close();
    }
  }
  // A buffer of twice the longest line, the reader's least.
  const maxLine = Math.max(1 << 20, EVENT_AT + longest + 64);
  const events = files.length
    ? readSeparatedLinesSql(
        files,
        { row_id: 'BIGINT', event: 'VARCHAR' },
        maxLine,
        `hive_partitioning = true, hive_types = {'slice': 'INTEGER'}`,
      )
    : '(SELECT NULL::BIGINT AS row_id, NULL::VARCHAR AS event, NULL::INTEGER AS slice LIMIT 0)';
  await db.run(`CREATE OR REPLACE TEMP VIEW staged AS
    SELECT row_id, slice, event, ${sqlString(group.eventName)} AS event_name, ${sqlString(group.day)} AS day FROM ${events}`);
  return files;
}

/** Adds one to a number written in decimal digits. */
function countUp(digits: Buffer): void {
  for (let d = digits.length - 1; d >= 0; d--) {
    if (digits[d] !== DIGIT_9) {
      digits[d] += 1;
      return;
    }
    digits[d] = DIGIT_0;
  }
  throw new Error('internal error: a row id has more digits than it may');
}
