import { isUtf8 } from 'node:buffer';
import { open, readdir, rm, FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDb, DuckDBAppender } from '@bulk-export/duckdb';
import { EventScanner, MAX_EVENT_NAME_BYTES } from '@bulk-export/formats';
import type { RangeRecord } from '@bulk-export/messaging';
import { GroupOrder, LineGroup } from './group-order';
import { LinesForm, writeStagedLines } from './staged-lines';
import { stagedLinesFile } from './staging';
import { FIELD_SEPARATOR as SEPARATOR, readSeparatedLinesSql, writeAll } from './separated-lines';

const NEWLINE = 0x0a;
/** Buffered per partition before it is written. */
const BUFFER_BYTES = 512 * 1024;
/** DuckDB's CSV reader needs a line limit; a record whose line would be longer takes the appender. */
const MAX_LINE_BYTES = 8 * 1024 * 1024;
/** A partition's file is closed and the next one started beyond this size: each file is a slice staged on its own. */
export const SLICE_BYTES = 8 * 1024 * 1024;
/** Slice numbers: partition × 2^16 + the partition's file number; the appender's records come last. */
const SLICES_PER_PARTITION = 2 ** 16;
const MAX_PARTITIONS = 2 ** 15;
const SLOW_SLICE = 2 ** 31 - 1;

/** A slice of `raw`: its number (slices in number order list raw in (partition, offset) order) and a SELECT of it. */
export interface RawSlice {
  number: number;
  select: string;
  /** Its records are already in staging's order, by file group (see GroupOrder): staging need not sort them. */
  grouped: boolean;
  /**
   * Staged as lines already (an events export's slice whose records the sink settled completely: staged-lines.ts),
   * with the groups written (their rows, and where they are in its file): DuckDB does not stage it. Null otherwise.
   */
  lines: LineGroup[] | null;
}

export interface RawSinkOptions {
  /** The size of a slice's file (8 MiB). */
  sliceBytes?: number;
  /** Called with each slice as soon as it is complete, while the read goes on: slices can be staged as they come. */
  onSlice?: (slice: RawSlice) => void;
  /**
   * The slice numbers of one partition's range read by an extract task: `first` onwards,
   * `size` of them, the last for the appender's records. Without it a partition's slices
   * are numbered partition × 2^16 onwards.
   */
  block?: { first: number; size: number };
  /**
   * Events: each slice's lines are held until it is complete and written by file group when the scan settled every
   * record's group (see GroupOrder). `maxEncodedNameBytes`: staging's limit on an encoded event name, so that a name
   * it might reject is left to it. `lines`: an events export's events, whose slices the scan settled completely
   * are staged here as lines in `form` (see staged-lines.ts), keeping the event names in `keep` (null: all).
   */
  groups?: { maxEncodedNameBytes: number; lines?: SinkLines };
}
/** How RawSink stages slices as lines: see RawSinkOptions. */
export interface SinkLines {
  form: LinesForm;
  keep: ReadonlySet<string> | null;
}

const EMPTY = Buffer.alloc(0);
/** Room for a line's head: partition, offset and timestamp as digits, the separators, key and value kinds. */
const HEAD_BYTES = 64;
/** Room for a scanned event's fields besides its name and ts: separators, their marks and the cut's digits. */
const SCAN_BYTES = 32;
const KIND_NULL = 0x6e; // 'n'
const KIND_EMPTY = 0x65; // 'e'
const KIND_RAW = 0x72; // 'r'
const KEY_PLAIN = 0x3d; // '='
/** Before a scanned event's name and ts in their fields, so that an empty one is not NULL. */
const FIELD_SET = 0x3d; // '='
const DIGIT_0 = 0x30;

/** The bytes of the scan's fields in the line writeLine wrote last. */
let scanFieldBytes = 0;

/**
 * Writes one record's line at `at` (see RawSink for its fields): the key field is
 * `keyKind` then `keyBody`, the value field `kind` then `body`. Numbers are written as
 * digits, with no line head built as a string. Returns the end.
 */
function writeLine(
  buffer: Buffer,
  at: number,
  partition: number,
  r: RangeRecord,
  keyKind: number,
  keyBody: Buffer,
  kind: number,
  body: Buffer,
  scan: EventScanner | null,
): number {
  at = writeDecimal(buffer, at, partition);
  buffer[at++] = SEPARATOR;
  at = writeInteger(buffer, at, r.offset);
  buffer[at++] = SEPARATOR;
  at = writeInteger(buffer, at, r.timestamp);
  buffer[at++] = SEPARATOR;
  buffer[at++] = keyKind;
  if (keyBody.length > 0) at += keyBody.copy(buffer, at);
  buffer[at++] = SEPARATOR;
  buffer[at++] = kind;
  buffer[at++] = SEPARATOR;
  // The scanned event's name, ts, day and JSON cut (empty fields: not scanned, no ts, no day from ts, no cut).
  const fieldsAt = at;
  if (scan) {
    buffer[at++] = FIELD_SET;
    at += body.copy(buffer, at, scan.nameStart, scan.nameEnd);
    buffer[at++] = SEPARATOR;
    // ts is only read for the day: when its first eight digits are the day, the day instead.
    if (scan.tsIsDay) {
      buffer[at++] = SEPARATOR;
      at += body.copy(buffer, at, scan.tsStart, scan.tsStart + 8);
    } else {
      if (scan.tsStart >= 0) {
        buffer[at++] = FIELD_SET;
        at += body.copy(buffer, at, scan.tsStart, scan.tsEnd);
      }
      buffer[at++] = SEPARATOR;
    }
    buffer[at++] = SEPARATOR;
    if (scan.cut > 0) at = writeSmall(buffer, at, scan.cut, 0);
    buffer[at++] = SEPARATOR;
  } else {
    buffer[at++] = SEPARATOR;
    buffer[at++] = SEPARATOR;
    buffer[at++] = SEPARATOR;
    buffer[at++] = SEPARATOR;
  }
  scanFieldBytes = at - fieldsAt;
  if (body.length > 0) at += body.copy(buffer, at);
  buffer[at++] = NEWLINE;
  return at;
}

/**
 * A Kafka offset or timestamp in decimal: as digits while it is a safe integer (always, in practice), else through its
 * text.
 */
function writeInteger(buffer: Buffer, at: number, n: bigint): number {
  const value = Number(n);
  return Number.isSafeInteger(value) ? writeDecimal(buffer, at, value) : at + buffer.write(n.toString(), at, 'latin1');
}

/** Writes an integer (a safe one) in decimal at `at`; returns where it ends. */
function writeDecimal(buffer: Buffer, at: number, n: number): number {
  if (n < 0) {
    buffer[at++] = 0x2d;
    n = -n;
  }
  if (n < 1e8) return writeSmall(buffer, at, n, 0);
  // Above 10^8 (timestamps, large offsets): the high part, then the low eight digits, each in int32 arithmetic.
  const high = Math.floor(n / 1e8);
  const end = writeSmall(buffer, at, high, 0);
  return writeSmall(buffer, end, n - high * 1e8, 8);
}

/** Writes `n` (below 10^8) in decimal, padded with zeros to `width` digits. */
function writeSmall(buffer: Buffer, at: number, n: number, width: number): number {
  let digits = 1;
  while (digits < 10 && n >= POWERS_OF_TEN[digits]) digits += 1;
  const end = at + Math.max(digits, width);
  for (let i = end - 1; i >= at; i--) {
    const q = (n / 10) | 0;
    buffer[i] = DIGIT_0 + n - q * 10;
    n = q;
  }
  return end;
}
const POWERS_OF_TEN = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/** Bytes that can stand as they are in a line's last field: no newline, CR, 0x01 or NUL, valid UTF-8. */
function isPlain(bytes: Buffer): boolean {
  return (
    bytes.indexOf(NEWLINE) < 0 &&
    bytes.indexOf(SEPARATOR) < 0 &&
    bytes.indexOf(0x0d) < 0 &&
    bytes.indexOf(0x00) < 0 &&
    isUtf8(bytes)
  );
}

/**
 * A key or value that cannot stand as it is, as `x` + the hex of its bytes, or, when they
 * are not UTF-8, `b` + the hex of its text (invalid sequences become U+FFFD, as everywhere
 * else) + `:` + the hex of its bytes, which go on only for the dead-letter topic.
 */
function encoded(bytes: Buffer): string {
  return isUtf8(bytes)
    ? `x${bytes.toString('hex')}`
    : `b${Buffer.from(bytes.toString('utf8'), 'utf8').toString('hex')}:${bytes.toString('hex')}`;
}

/**
 * Hands Kafka records to DuckDB in bulk, as the view `raw` (partition, offset, capture_ms, key,
 * value). JavaScript does not decode a message: each record's bytes are copied as they are into
 * a local file, one line per record, which DuckDB's parallel CSV reader reads. A line is
 *
 *   partition 0x01 offset 0x01 timestamp 0x01 key 0x01 kind 0x01 value '\n'
 *
 * key: `n` (null), `=` + the key, or encoded when it has bytes a line cannot hold; kind: `r` (the
 * value as it is), `x` (hex, for newline, CR, 0x01 or NUL bytes), `b` (hex of its text `:` hex
 * of its bytes, when not UTF-8), `e` (empty) or `n` (a tombstone). `raw_key`, `raw_value` keep
 * the bytes of what is not UTF-8, so a rejected message reaches the dead-letter topic as it came.
 *
 * Each partition's records go to files of about 8 MiB, its slices, each handed to `onSlice` when
 * complete, so a slice is sorted into file groups in memory that does not grow with the export.
 * With `groups`, a slice's lines are held until it is complete, then written in file-group order
 * when the scan settled the group of each (GroupOrder), so that staging need not sort them;
 * with `groups.lines` too, such a slice is staged here as lines (staged-lines.ts) and is no
 * line file: DuckDB never sees it.
 * A record whose line would exceed 8 MiB goes through DuckDB's appender into `raw_slow`, the last
 * slice.
 */
class PartitionFile {
  /** Lines not written yet: up to 512 KiB, or, grouping, the whole slice (it grows). */
  buffer: Buffer;
  used = 0;
  /**
   * Bytes of the current file's lines without the scan's fields (so slices hold the records they held before those
   * fields), buffered ones included.
   */
  size = 0;
  readonly paths: string[] = [];
  private file: FileHandle | null = null;
  /** Slices ended so far. */
  private sliceCount = 0;
  /** Grouping: the group of each line of the slice, and the buffer its lines are arranged into. */
  readonly order: GroupOrder | null;
  private arranged: Buffer | null = null;

  constructor(
    readonly partition: number,
    private readonly dir: string,
    readonly sliceBytes: number,
    /** The number of its first slice, and how many it may have. */
    private readonly first: number,
    private readonly room: number,
    grouped: boolean,
    /** Slices the scan settled completely are staged as lines (an events export). */
    readonly lines: SinkLines | null,
  ) {
    this.order = grouped ? new GroupOrder() : null;
    this.buffer = Buffer.allocUnsafe(grouped ? sliceBytes + BUFFER_BYTES : BUFFER_BYTES);
  }

  /** Grouping: makes room in the buffer for `size` more bytes. */
  reserve(size: number): void {
    if (this.used + size <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(2 * this.buffer.length, this.used + size));
    this.buffer.copy(bigger, 0, 0, this.used);
    this.buffer = bigger;
  }

  async flush(): Promise<void> {
    await this.write(this.buffer.subarray(0, this.used));
    this.used = 0;
  }

  async write(bytes: Buffer): Promise<void> {
    if (bytes.length === 0) return;
    if (!this.file) {
      const path = join(this.dir, `raw-${this.partition}-${String(this.paths.length).padStart(6, '0')}.lines`);
      this.file = await open(path, 'w');
      this.paths.push(path);
    }
    await writeAll(this.file, bytes);
  }

  /** Ends the current slice; returns it, or null if it has no record. */
  async close(): Promise<RawSlice | null> {
    const order = this.order;
    if (order && this.lines && order.size > 0 && order.linesKnown) {
      const number = this.nextNumber();
      const { form, keep } = this.lines;
      const arranged = order.arrangeLines(this.buffer, this.used, this.arrangedBuffer(), form === 'json');
      const lines = await writeStagedLines(stagedLinesFile(this.dir, number), form, this.arranged!, arranged, keep);
      this.used = 0;
      this.size = 0;
      order.reset();
      return { number, select: '', grouped: true, lines };
    }
    const grouped = order !== null && order.known;
    if (order && grouped && order.size > 1) {
      order.arrange(this.buffer, this.used, this.arrangedBuffer());
      await this.write(this.arranged!.subarray(0, this.used));
      this.used = 0;
    } else await this.flush();
    order?.reset();
    this.size = 0;
    const file = this.file;
    if (!file) return null;
    this.file = null;
    await file.close();
    return {
      number: this.nextNumber(),
      select: readLinesSql([this.paths[this.paths.length - 1]]),
      grouped,
      lines: null,
    };
  }

  /** Room for the slice's lines arranged. */
  private arrangedBuffer(): Buffer {
    if (!this.arranged || this.arranged.length < this.used) this.arranged = Buffer.allocUnsafe(this.buffer.length);
    return this.arranged;
  }

  /** The number of the slice that ends now. */
  private nextNumber(): number {
    const seq = this.sliceCount++;
    if (seq >= this.room)
      throw new Error(
        `partition ${this.partition} holds more than ${this.room} slices in one read: make the extract tasks smaller (EXTRACT_TASK_MAX_OFFSETS)`,
      );
    return this.first + seq;
  }
}

export class RawSink {
  private readonly files = new Map<number, PartitionFile>();
  private count = 0;
  private slowCount = 0;
  private readonly completed: RawSlice[] = [];
  private readonly scanner = new EventScanner();
  /** Grouping: the longest event name whose group is settled here (staging's name checks never reject it). */
  private readonly maxGroupName: number;

  private constructor(
    private readonly db: DuckDb,
    private readonly dir: string,
    private readonly slow: DuckDBAppender,
    private readonly options: RawSinkOptions,
  ) {
    // An encoded name is at most three bytes per byte of the name.
    const maxEncoded = options.groups?.maxEncodedNameBytes ?? 0;
    this.maxGroupName = Math.min(MAX_EVENT_NAME_BYTES, Math.floor(maxEncoded / 3));
  }

  /** `dir`: where the partitions' files go (the run's staging folder). */
  static async open(db: DuckDb, dir: string, options: RawSinkOptions = {}): Promise<RawSink> {
    // Not TEMP: a temporary table is seen only by its own connection, and slices are staged on others.
    await db.run(
      `CREATE TABLE raw_slow (partition INTEGER, "offset" BIGINT, capture_ms BIGINT, key VARCHAR, value VARCHAR, raw_key BLOB, raw_value BLOB, checked_name VARCHAR, checked_ts VARCHAR, checked_day VARCHAR, json_cut INTEGER)`,
    );
    return new RawSink(db, dir, await db.appender('raw_slow'), options);
  }

  get rows(): number {
    return this.count;
  }

  /** Records that could not take the file. */
  get slowRows(): number {
    return this.slowCount;
  }

  /** The slices completed so far, in number order: all of them once finished. */
  get slices(): readonly RawSlice[] {
    return [...this.completed].sort((a, b) => a.number - b.number);
  }

  /** Appends records of one partition, in offset order. */
  async append(partition: number, records: RangeRecord[]): Promise<void> {
    const out = this.files.get(partition) ?? this.openPartition(partition);
    for (const r of records) {
      // A slice ends at the record that fills it, so that a grouped slice's buffer does not grow by a whole batch.
      if (out.size >= out.sliceBytes) this.complete(await out.close());
      this.count += 1;
      const { key, value } = r;
      // The key field after its first byte: none (`n`), the key (`=`), or the key encoded.
      let keyKind = KIND_NULL;
      let keyBody: Buffer = EMPTY;
      if (key !== null && isPlain(key)) [keyKind, keyBody] = [KEY_PLAIN, key];
      else if (key !== null) {
        const text = encoded(key);
        [keyKind, keyBody] = [text.charCodeAt(0), Buffer.from(text.slice(1), 'latin1')];
      }
      let kind = KIND_RAW;
      let body: Buffer = EMPTY;
      let scan: EventScanner | null = null;
      if (value === null) kind = KIND_NULL;
      else if (value.length === 0) kind = KIND_EMPTY;
      else if (isPlain(value)) {
        body = value;
        if (this.scanner.scan(value)) scan = this.scanner;
      } else {
        const text = encoded(value);
        kind = text.charCodeAt(0);
        body = Buffer.from(text.slice(1), 'latin1');
      }
      // At most this long (without the scan's fields: which records take the appender does not depend on them).
      let size = HEAD_BYTES + keyBody.length + body.length;
      if (size > MAX_LINE_BYTES) {
        this.appendSlow(partition, r);
        continue;
      }
      if (scan) {
        size += SCAN_BYTES + (scan.nameEnd - scan.nameStart) + Math.max(0, scan.tsEnd - scan.tsStart);
        // Then the record is classified in SQL, as one that was not scanned.
        if (size > MAX_LINE_BYTES) scan = null;
      }
      if (out.order) out.reserve(size);
      else if (out.used + size > BUFFER_BYTES) await out.flush();
      if (size > BUFFER_BYTES && !out.order) {
        const line = Buffer.allocUnsafe(size);
        const length = writeLine(line, 0, partition, r, keyKind, keyBody, kind, body, scan);
        out.size += length - scanFieldBytes;
        await out.write(line.subarray(0, length));
        continue;
      }
      const end = writeLine(out.buffer, out.used, partition, r, keyKind, keyBody, kind, body, scan);
      if (out.order) {
        // The group is settled here for a scanned event whose day is its ts's and whose name staging accepts.
        const nameBytes = scan ? scan.nameEnd - scan.nameStart : 0;
        if (scan && scan.tsIsDay && nameBytes > 0 && nameBytes <= this.maxGroupName) {
          // Its staged line, for lines (the value ends the line, before its newline): the message, or, for JSON, from
          // the byte before its cut.
          const bodyAt = end - 1 - body.length;
          const cutAt = !out.lines
            ? -1
            : out.lines.form === 'message'
              ? bodyAt
              : scan.cut > 0
                ? bodyAt + scan.cut - 1
                : -1;
          out.order.add(out.used, body, scan.nameStart, scan.nameEnd, scan.tsStart, cutAt);
        } else out.order.addUnknown(out.used);
      }
      // Slices are cut where they were before the scan's fields: the same records in each.
      out.size += end - out.used - scanFieldBytes;
      out.used = end;
    }
  }

  /** Writes what is buffered, closes the files and the appender, and creates the view `raw`. */
  async finish(): Promise<void> {
    const partitions = [...this.files.values()].sort((a, b) => a.partition - b.partition);
    for (const p of partitions) this.complete(await p.close());
    this.slow.flushSync();
    this.slow.closeSync();
    const paths = partitions.flatMap((p) => p.paths);
    const slow = `SELECT * FROM (SELECT * FROM raw_slow ORDER BY partition, "offset")`;
    const block = this.options.block;
    if (this.slowCount > 0)
      this.complete({
        number: block ? block.first + block.size - 1 : SLOW_SLICE,
        select: slow,
        grouped: false,
        lines: null,
      });
    await this.db.run(`CREATE VIEW raw AS ${paths.length ? `${readLinesSql(paths)} UNION ALL ` : ''}${slow}`);
  }

  /** Gives up the files and the appender after a failure. */
  async abort(): Promise<void> {
    for (const p of this.files.values()) await p.close().catch(() => undefined);
    try {
      this.slow.closeSync();
    } catch {
      // already closed
    }
  }

  private complete(slice: RawSlice | null): void {
    if (!slice) return;
    this.completed.push(slice);
    // A slice staged as lines is staged already.
    if (!slice.lines) this.options.onSlice?.(slice);
  }

  private openPartition(partition: number): PartitionFile {
    if (partition >= MAX_PARTITIONS)
      throw new Error(`partition ${partition}: at most ${MAX_PARTITIONS} partitions can be staged`);
    const block = this.options.block;
    if (block && this.files.size > 0) throw new Error('a block of slices holds one partition');
    const [first, room] = block
      ? [block.first, block.size - 1]
      : [partition * SLICES_PER_PARTITION, SLICES_PER_PARTITION];
    const file = new PartitionFile(
      partition,
      this.dir,
      this.options.sliceBytes ?? SLICE_BYTES,
      first,
      room,
      this.options.groups !== undefined,
      this.options.groups?.lines ?? null,
    );
    this.files.set(partition, file);
    return file;
  }

  private appendSlow(partition: number, r: RangeRecord): void {
    this.slowCount += 1;
    const a = this.slow;
    a.appendInteger(partition);
    a.appendBigInt(r.offset);
    a.appendBigInt(r.timestamp);
    if (r.key) a.appendVarchar(r.key.toString('utf8'));
    else a.appendNull();
    if (r.value) a.appendVarchar(r.value.toString('utf8'));
    else a.appendNull();
    for (const bytes of [r.key, r.value]) {
      if (bytes && !isUtf8(bytes)) a.appendBlob(bytes);
      else a.appendNull();
    }
    // Not scanned: classified in SQL.
    a.appendNull();
    a.appendNull();
    a.appendNull();
    a.appendNull();
    a.endRow();
  }
}

/** Removes the line files of a RawSink once `raw` has been staged. */
export async function removeRawFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (/^raw-\d+-\d+\.lines$/.test(name)) await rm(join(dir, name), { force: true });
  }
}

/** The records of line files, in the order of the files, with `raw`'s columns. */
function readLinesSql(paths: string[]): string {
  return `SELECT partition, "offset", capture_ms,
      CASE left(key, 1) WHEN '=' THEN key[2:] WHEN 'x' THEN decode(unhex(key[2:])) WHEN 'b' THEN decode(unhex(split_part(key[2:], ':', 1))) ELSE NULL END AS key,
      CASE kind WHEN 'r' THEN value WHEN 'x' THEN decode(unhex(value)) WHEN 'b' THEN decode(unhex(split_part(value, ':', 1))) WHEN 'e' THEN '' ELSE NULL END AS value,
      CASE WHEN left(key, 1) = 'b' THEN unhex(split_part(key[2:], ':', 2)) END AS raw_key,
      CASE WHEN kind = 'b' THEN unhex(split_part(value, ':', 2)) END AS raw_value,
      name[2:] AS checked_name, ts[2:] AS checked_ts, day AS checked_day, cut AS json_cut
    FROM ${readSeparatedLinesSql(paths, RAW_COLUMNS, MAX_LINE_BYTES)}`;
}

/** The fields of RawSink's lines. */
const RAW_COLUMNS = {
  partition: 'INTEGER',
  offset: 'BIGINT',
  capture_ms: 'BIGINT',
  key: 'VARCHAR',
  kind: 'VARCHAR',
  name: 'VARCHAR',
  ts: 'VARCHAR',
  day: 'VARCHAR',
  cut: 'INTEGER',
  value: 'VARCHAR',
};
