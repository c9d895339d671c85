import { open, rm } from 'node:fs/promises';
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
  await writeLineBlocks(target, spooledBlocks(db, select, `${target.pathOf(0)}.spool`), header, footer);
}

/**
 * Writes a group's lines, given a block at a time (each line without its line end, which follows it in `bytes`), into
 * its files: ChunkWriter adds the header and footer, keeps each file under the size limit and gzips when asked.
 */
export async function writeLineBlocks(
  target: ChunkTarget,
  blocks: AsyncIterable<SpooledBlock>,
  header: Buffer,
  footer?: Buffer,
): Promise<void> {
  const writer = new ChunkWriter({ ...target, header, footer });
  for await (const { bytes, ranges } of blocks) {
    // Each line with its line end (the ranges are the reader's to reuse, and ours until the next block).
    for (let i = 1; i < ranges.length; i += 2) ranges[i] += 1;
    await writer.writeRanges(bytes, ranges);
    // The reader fills `bytes` again.
    await writer.settle();
  }
  await writer.end();
}

/**
 * Lines of a spool file as read: `bytes`, and where each line starts and ends (without its line end) in it. Both are
 * the reader's own and are filled again when the next block is asked for: a consumer that keeps them longer (a write
 * not yet settled) copies them first.
 */
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

/** Bytes read from the spool at a time. */
export const SPOOL_BLOCK_BYTES = 1 << 20;

/**
 * The blocks of a spool file, read into one buffer and one array of ranges that every block reuses (a line longer
 * than the buffer grows it): fresh memory per block made the main thread collect garbage for seconds per million
 * events.
 */
async function* readSpool(path: string): AsyncGenerator<SpooledBlock> {
  const file = await open(path, 'r');
  try {
    let buffer = Buffer.allocUnsafeSlow(SPOOL_BLOCK_BYTES);
    let ranges = new Int32Array(8192);
    /** Bytes in `buffer`: a partial line carried over, then what was read. */
    let filled = 0;
    for (;;) {
      const { bytesRead } = await file.read(buffer, filled, buffer.length - filled, null);
      filled += bytesRead;
      let count = 0;
      let at = 0;
      let needed = 0;
      while (filled - at >= LENGTH_DIGITS) {
        let length = 0;
        for (let d = at; d < at + LENGTH_DIGITS; d++) {
          const digit = buffer[d] - DIGIT_0;
          if (digit < 0 || digit > 9) throw new Error(`internal error: a spooled line has no length at byte ${at}`);
          length = length * 10 + digit;
        }
        const end = at + LENGTH_DIGITS + length + 1;
        if (end > filled) {
          needed = end - at;
          break;
        }
        if (buffer[end - 1] !== NEWLINE)
          throw new Error(`internal error: a spooled line of ${length} bytes does not end where its length says`);
        if (count + 2 > ranges.length) {
          const more = new Int32Array(ranges.length * 2);
          more.set(ranges);
          ranges = more;
        }
        ranges[count++] = at + LENGTH_DIGITS;
        ranges[count++] = end - 1;
        at = end;
      }
      if (count > 0) yield { bytes: buffer.subarray(0, at), ranges: ranges.subarray(0, count) };
      if (bytesRead === 0) {
        if (filled > at)
          throw new Error(`internal error: the spool file ends inside a line (${filled - at} bytes left)`);
        return;
      }
      // The partial line to the front; a line longer than the buffer gets a buffer of its size.
      if (needed > buffer.length) {
        const larger = Buffer.allocUnsafeSlow(needed);
        buffer.copy(larger, 0, at, filled);
        buffer = larger;
      } else buffer.copyWithin(0, at, filled);
      filled -= at;
    }
  } finally {
    await file.close();
  }
}
