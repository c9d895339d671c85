import { isUtf8 } from 'node:buffer';
import { open, FileHandle } from 'node:fs/promises';
import { DuckDBAppender } from '@duckdb/node-api';
import { DuckDb, sqlString } from '@bulk-export/formats';

/** A Kafka record as the sink takes it (the range reader's record). */
export interface RawRecord {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

const SEPARATOR = 0x01;
const NEWLINE = 0x0a;
const BUFFER_BYTES = 4 * 1024 * 1024;
/** Records larger than this take the appender: DuckDB's CSV reader needs a line limit. */
const MAX_LINE_BYTES = 1024 * 1024;
const CSV_MAX_LINE = 2 * MAX_LINE_BYTES;

/** Bytes that would end a field or a line of the file, or that DuckDB could not keep. */
function fitsLine(bytes: Buffer): boolean {
  return (
    bytes.indexOf(NEWLINE) < 0 &&
    bytes.indexOf(SEPARATOR) < 0 &&
    bytes.indexOf(0x0d) < 0 &&
    bytes.indexOf(0x00) < 0 &&
    isUtf8(bytes)
  );
}

/**
 * Hands Kafka records to DuckDB in bulk, as the table `raw` (partition, offset,
 * capture_ms, key, value). JavaScript does not decode a single message: the bytes of each
 * record are copied as they are into a local file, one line per record, and DuckDB reads
 * that file with its parallel CSV reader. A line is
 *
 *   partition 0x01 offset 0x01 timestamp 0x01 ['=' key] 0x01 value '\n'
 *
 * (an empty key field is a null key). A record whose key or value could break that (a
 * null or empty value, newline, CR, 0x01 or NUL bytes, invalid UTF-8, more than 1 MiB)
 * goes through DuckDB's appender into `raw_slow` instead: rare, and decoded losslessly
 * for valid UTF-8. `raw` is the union of both.
 */
export class RawSink {
  private readonly buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  private used = 0;
  private count = 0;
  private slowCount = 0;

  private constructor(
    private readonly db: DuckDb,
    private readonly path: string,
    private readonly file: FileHandle,
    private readonly slow: DuckDBAppender,
  ) {}

  /** `path`: the local file the lines go to (in the run's staging folder). */
  static async open(db: DuckDb, path: string): Promise<RawSink> {
    await db.run(`CREATE TEMP TABLE raw_slow (partition INTEGER, "offset" BIGINT, capture_ms BIGINT, key VARCHAR, value VARCHAR)`);
    const slow = await db.connection.createAppender('raw_slow');
    return new RawSink(db, path, await open(path, 'w'), slow);
  }

  get rows(): number {
    return this.count;
  }

  /** Records that could not take the file. */
  get slowRows(): number {
    return this.slowCount;
  }

  async append(partition: number, records: RawRecord[]): Promise<void> {
    for (const r of records) {
      this.count += 1;
      const { key, value } = r;
      if (!value || value.length === 0 || value.length > MAX_LINE_BYTES || !fitsLine(value) || (key && (key.length > MAX_LINE_BYTES || !fitsLine(key)))) {
        this.appendSlow(partition, r);
        continue;
      }
      const head = `${partition}\x01${r.offset}\x01${r.timestamp}\x01${key ? '=' : ''}`;
      const size = head.length + (key ? key.length : 0) + 1 + value.length + 1;
      if (this.used + size > BUFFER_BYTES) await this.flush();
      let at = this.used + this.buffer.write(head, this.used, 'latin1');
      if (key) at += key.copy(this.buffer, at);
      this.buffer[at++] = SEPARATOR;
      at += value.copy(this.buffer, at);
      this.buffer[at++] = NEWLINE;
      this.used = at;
    }
  }

  /** Writes what is buffered, closes the file and the appender, and creates the view `raw`. */
  async finish(): Promise<void> {
    await this.flush();
    await this.file.close();
    this.slow.flushSync();
    this.slow.closeSync();
    // The key field is '=' + key, or empty for a null key.
    await this.db.run(`CREATE TEMP VIEW raw AS
      SELECT partition, "offset", capture_ms, CASE WHEN key IS NULL THEN NULL ELSE key[2:] END AS key, value FROM (
        SELECT * FROM read_csv(${sqlString(this.path)}, delim = '\x01', quote = '', escape = '', header = false,
          auto_detect = false, strict_mode = true, max_line_size = ${CSV_MAX_LINE}, buffer_size = ${CSV_MAX_LINE * 4},
          columns = {'partition': 'INTEGER', 'offset': 'BIGINT', 'capture_ms': 'BIGINT', 'key': 'VARCHAR', 'value': 'VARCHAR'})
        UNION ALL SELECT * FROM raw_slow)`);
  }

  /** Gives up the file and the appender after a failure. */
  async abort(): Promise<void> {
    await this.file.close().catch(() => undefined);
    try {
      this.slow.closeSync();
    } catch {
      // already closed
    }
  }

  private appendSlow(partition: number, r: RawRecord): void {
    this.slowCount += 1;
    const a = this.slow;
    a.appendInteger(partition);
    a.appendBigInt(r.offset);
    a.appendBigInt(r.timestamp);
    if (r.key) a.appendVarchar('=' + r.key.toString('utf8'));
    else a.appendNull();
    if (r.value) a.appendVarchar(r.value.toString('utf8'));
    else a.appendNull();
    a.endRow();
  }

  private async flush(): Promise<void> {
    if (this.used === 0) return;
    let written = 0;
    while (written < this.used) written += (await this.file.write(this.buffer, written, this.used - written)).bytesWritten;
    this.used = 0;
  }
}
