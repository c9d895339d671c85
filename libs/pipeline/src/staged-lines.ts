import { open, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { SpooledBlock } from '@bulk-export/formats';
import type { LineGroup } from './group-order';

const NEWLINE = 0x0a;
/** Bytes read at a time. */
const BLOCK_BYTES = 1 << 20;
/** Bytes of a file's beginning read first for its index line (then as many again, until it ends). */
const INDEX_READ_BYTES = 16 * 1024;

/**
 * What a slice staged as lines holds per event: `json`, its line in a JSON export's files (`{` and
 * the message's bytes after its cut, as json-lines.ts writes it: only for a message in the shape
 * that format keeps, see EventScanner's `cut`); `message`, the message as it is (the other formats':
 * XML transcodes those bytes, and DuckDB reads them for CSV and Parquet).
 */
export type LinesForm = 'json' | 'message';

/**
 * An events export's slice staged as lines: RawSink writes the slices whose records it settled
 * completely (every record scanned and its group known, and for JSON in the shape the format keeps)
 * as the events the export's files need, so that the extractor does not run DuckDB over them (nor
 * does the uploader, for JSON and XML). The file's first line is its index,
 * `{"form":…,"groups":[{"eventName","day","rows","start","end"},…]}`; then each group's lines,
 * groups in staging's order (GroupOrder) and each group's lines in offset order. `start` and `end`
 * count from the end of the index's line.
 *
 * `keep`: the event names an export selects (null: all); other groups are left out. Returns the
 * groups written, with their places in the file (none kept: no file).
 */
export async function writeStagedLines(
  path: string,
  form: LinesForm,
  lines: Buffer,
  groups: readonly LineGroup[],
  keep: ReadonlySet<string> | null,
): Promise<LineGroup[]> {
  const kept = keep ? groups.filter((g) => keep.has(g.eventName)) : groups;
  if (kept.length === 0) return [];
  const index: LineGroup[] = [];
  let offset = 0;
  for (const g of kept) {
    index.push({ ...g, start: offset, end: offset + g.end - g.start });
    offset += g.end - g.start;
  }
  const head = Buffer.from(`${JSON.stringify({ form, groups: index })}\n`, 'utf8');
  await writeFile(path, [head, ...kept.map((g) => lines.subarray(g.start, g.end))]);
  return index;
}

/** The index of a slice staged as lines: what its lines are, its groups, and where the lines begin in the file. */
export interface StagedLinesIndex {
  form: LinesForm;
  groups: LineGroup[];
  linesAt: number;
}

/** The index of a slice staged as lines. */
export async function stagedLinesIndex(path: string): Promise<StagedLinesIndex> {
  return new StagedLinesReader().index(path);
}

/**
 * Reads the groups of slices staged as lines, a block at a time, into one buffer and one array of
 * ranges that every block and slice reuses (memory per block or per slice made the uploader collect
 * garbage for seconds per million events).
 */
export class StagedLinesReader {
  private buffer = Buffer.allocUnsafeSlow(BLOCK_BYTES);
  private ranges = new Int32Array(8192);

  /** The index of a slice staged as lines. */
  async index(path: string): Promise<StagedLinesIndex> {
    const file = await open(path, 'r');
    try {
      return await this.readIndex(file, path);
    } finally {
      await file.close();
    }
  }

  /**
   * The lines of a group in a slice staged as lines in `form` (none when the slice has none of the
   * group), a block at a time, each line without its line end; `bytes` and `ranges` are reused for
   * the next block.
   */
  async *blocks(
    path: string,
    form: LinesForm,
    group: { eventName: string; day: string },
  ): AsyncGenerator<SpooledBlock> {
    const file = await open(path, 'r');
    try {
      const { form: staged, groups, linesAt } = await this.readIndex(file, path);
      if (staged !== form) throw new Error(`internal error: ${path} holds ${staged} lines, not ${form} lines`);
      const found = groups.find((g) => g.eventName === group.eventName && g.day === group.day);
      if (found) yield* this.lines(file, path, linesAt + found.start, linesAt + found.end);
    } finally {
      await file.close();
    }
  }

  /** The lines of a whole file (each ending in a line end), a block at a time, as blocks() gives a group's. */
  async *fileBlocks(path: string): AsyncGenerator<SpooledBlock> {
    const file = await open(path, 'r');
    try {
      yield* this.lines(file, path, 0, (await file.stat()).size);
    } finally {
      await file.close();
    }
  }

  /** The lines of bytes [position, end) of a file, which end in a line end. */
  private async *lines(file: FileHandle, path: string, position: number, end: number): AsyncGenerator<SpooledBlock> {
    /** Bytes in the buffer: a partial line carried over, then what was read. */
    let filled = 0;
    while (position < end) {
      const room = Math.min(this.buffer.length - filled, end - position);
      const { bytesRead } = await file.read(this.buffer, filled, room, position);
      if (bytesRead === 0) throw new Error(`internal error: ${path} ends before byte ${end}`);
      position += bytesRead;
      const buffer = this.buffer;
      const searchFrom = filled;
      filled += bytesRead;
      let count = 0;
      let at = 0;
      let newline = buffer.indexOf(NEWLINE, searchFrom);
      while (newline >= 0 && newline < filled) {
        if (count + 2 > this.ranges.length) {
          const more = new Int32Array(this.ranges.length * 2);
          more.set(this.ranges);
          this.ranges = more;
        }
        this.ranges[count++] = at;
        this.ranges[count++] = newline;
        at = newline + 1;
        newline = buffer.indexOf(NEWLINE, at);
      }
      if (count > 0) yield { bytes: buffer.subarray(0, at), ranges: this.ranges.subarray(0, count) };
      // The partial line to the front; a line longer than the buffer gets a larger one.
      if (at === 0 && filled === buffer.length) {
        this.buffer = Buffer.allocUnsafeSlow(buffer.length * 2);
        buffer.copy(this.buffer, 0, 0, filled);
      } else buffer.copyWithin(0, at, filled);
      filled -= at;
    }
    if (filled > 0)
      throw new Error(`internal error: bytes ${position - filled} to ${end} of ${path} end inside a line`);
  }

  /** The index line, read in small pieces (it is a few KiB; the lines behind it are megabytes, and not all needed). */
  private async readIndex(file: FileHandle, path: string): Promise<StagedLinesIndex> {
    let filled = 0;
    for (;;) {
      const room = Math.min(this.buffer.length - filled, Math.max(INDEX_READ_BYTES, filled));
      const { bytesRead } = await file.read(this.buffer, filled, room, filled);
      const end = this.buffer.indexOf(NEWLINE, filled);
      filled += bytesRead;
      if (end >= 0 && end < filled) {
        const { form, groups } = JSON.parse(this.buffer.toString('utf8', 0, end)) as StagedLinesIndex;
        return { form, groups, linesAt: end + 1 };
      }
      if (bytesRead === 0) throw new Error(`internal error: the staged lines file ${path} has no index`);
      if (filled === this.buffer.length) {
        const larger = Buffer.allocUnsafeSlow(this.buffer.length * 2);
        this.buffer.copy(larger);
        this.buffer = larger;
      }
    }
  }
}
