import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { ChunkTarget, ChunkWriter } from './chunk-writer';
import { DuckDb, sqlString } from '@bulk-export/duckdb';

/** Digits of the length that precedes each line in the spool file. */
const LENGTH_DIGITS = 10;
const NEWLINE = 0x0a;
const DIGIT_0 = 0x30;

/**
 * Writes a text format's file group whose lines DuckDB builds: `select` gives the column
 * `line` (VARCHAR, without its line end) for each of the group's rows, in order.
 *
 * DuckDB writes every line, once, with COPY into a spool file, each behind its length in
 * bytes (CSV with no quote and no escape character writes a single column as it is);
 * JavaScript never sees a line as a value. The spool is then cut into the group's files
 * by ChunkWriter, which adds the header and footer, keeps each file under the size limit
 * and gzips when asked. The lengths make the cut exact even when a line holds line breaks
 * (a quoted CSV cell), without looking at its bytes.
 *
 * `target.pathOf(0)` + `.spool` is the spool file.
 */
export async function writeLineFiles(
  db: DuckDb,
  select: string,
  target: ChunkTarget,
  header: Buffer,
  footer?: Buffer,
): Promise<void> {
  const writer = new ChunkWriter({ ...target, header, footer });
  for await (const { bytes, ranges } of spooledBlocks(db, select, `${target.pathOf(0)}.spool`)) {
    // Each line with its line end.
    const lines = new Int32Array(ranges.length);
    for (let i = 0; i < ranges.length; i += 2) {
      lines[i] = ranges[i];
      lines[i + 1] = ranges[i + 1] + 1;
    }
    await writer.writeRanges(bytes, lines);
  }
  await writer.end();
}

/** Lines of a spool file as read: `bytes`, and where each line starts and ends (without its line end) in it. */
export interface SpooledBlock {
  bytes: Buffer;
  ranges: Int32Array;
}

/**
 * The `line` column (VARCHAR) of a query's rows, in order, a block of lines at a time,
 * through a spool file at `spool` (removed afterwards). Handing rows to JavaScript this way
 * costs a fraction of DuckDB's JavaScript values, which take a native call and an
 * allocation per value: COPY writes each line behind its length in bytes, and JavaScript
 * reads the file in blocks of about 1 MiB, whose lines are written out or go to a worker
 * thread a block at a time.
 */
export async function* spooledBlocks(db: DuckDb, select: string, spool: string): AsyncGenerator<SpooledBlock> {
  try {
    await db.run(
      `COPY (SELECT lpad(strlen(line)::VARCHAR, ${LENGTH_DIGITS}, '0') || line FROM (${select})) TO ${sqlString(spool)} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '')`,
    );
    yield* readSpool(spool);
  } finally {
    await rm(spool, { force: true });
  }
}

async function* readSpool(path: string): AsyncGenerator<SpooledBlock> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const block of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const bytes: Buffer = rest.length ? Buffer.concat([rest, block as Buffer]) : (block as Buffer);
    const ranges: number[] = [];
    let at = 0;
    while (bytes.length - at >= LENGTH_DIGITS) {
      let length = 0;
      for (let d = at; d < at + LENGTH_DIGITS; d++) {
        const digit = bytes[d] - DIGIT_0;
        if (digit < 0 || digit > 9) throw new Error(`internal error: a spooled line has no length at byte ${at}`);
        length = length * 10 + digit;
      }
      const end = at + LENGTH_DIGITS + length + 1;
      if (end > bytes.length) break;
      if (bytes[end - 1] !== NEWLINE)
        throw new Error(`internal error: a spooled line of ${length} bytes does not end where its length says`);
      ranges.push(at + LENGTH_DIGITS, end - 1);
      at = end;
    }
    if (ranges.length) yield { bytes: bytes.subarray(0, at), ranges: Int32Array.from(ranges) };
    rest = bytes.subarray(at);
  }
  if (rest.length) throw new Error(`internal error: the spool file ends inside a line (${rest.length} bytes left)`);
}
