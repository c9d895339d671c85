import { createWriteStream, WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createGzip, Gzip } from 'node:zlib';
import { crc32c } from '@node-rs/crc32';

/** One finished file of a chunked group. */
export interface Chunk {
  index: number;
  path: string;
  rows: number;
  /** Bytes of the file on disk. */
  bytes: number;
  /** CRC32C of the file's bytes (unsigned), computed as they were written: the upload need not read them for it. */
  crc32c?: number;
}

/** Where a format writer puts its files: local paths by index, the size limit, and who takes finished files. */
export interface ChunkTarget {
  pathOf(index: number): string;
  maxBytes: number;
  gzip: boolean;
  onChunk(chunk: Chunk): Promise<void>;
}

export interface ChunkWriterOptions {
  /** Local path of the file with this index. */
  pathOf(index: number): string;
  /** Largest size of one file, header and footer included. */
  maxBytes: number;
  header?: Buffer;
  footer?: Buffer;
  gzip?: boolean;
  /** Called with each file once it is complete, in index order; awaited before the next one starts. */
  onChunk(chunk: Chunk): Promise<void>;
}

export class RecordTooLarge extends Error {
  constructor(bytes: number, maxBytes: number) {
    super(`one record takes ${bytes} bytes, more than the file size limit of ${maxBytes} bytes (MAX_FILE_BYTES)`);
  }
}

const BUFFER_BYTES = 256 * 1024;
/** Records are flushed past BUFFER_BYTES: room for that and one more record of a usual size. */
const COPY_BYTES = 2 * BUFFER_BYTES;

/**
 * Writes serialised records into files of at most `maxBytes`, starting a new index when
 * the next record would not fit. Boundaries depend only on the records and their order,
 * so a retry produces the same files. Memory stays bounded: records are buffered up to
 * 256 KiB and written with back-pressure. With gzip, the limit is applied to the
 * uncompressed bytes, which bounds the compressed file from above.
 */
export class ChunkWriter {
  private index = -1;
  private out: WriteStream | null = null;
  private gzip: Gzip | null = null;
  private rows = 0;
  private bytes = 0;
  /** CRC32C of what the current file holds so far (after gzip). */
  private crc = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private failure: Error | null = null;
  /** Settles once the last data handed to the file has been written. */
  private written: Promise<void> = Promise.resolve();
  private readonly header: Buffer;
  private readonly footer: Buffer;
  /** Where buffered records are copied to be written, again for every flush. */
  private copy: Buffer | null = null;

  constructor(private readonly options: ChunkWriterOptions) {
    this.header = options.header ?? Buffer.alloc(0);
    this.footer = options.footer ?? Buffer.alloc(0);
  }

  async write(record: Buffer): Promise<void> {
    await this.writeRanges(record, [0, record.length]);
  }

  /**
   * Writes the records `bytes[ranges[2i]…ranges[2i+1])`, in order, exactly as write() would
   * one by one, but with no promise per record: it waits only to flush, close or open a
   * file. Records that lie next to each other in `bytes` are buffered as one slice.
   */
  async writeRanges(bytes: Buffer, ranges: ArrayLike<number>): Promise<void> {
    const { maxBytes } = this.options;
    const overhead = this.header.length + this.footer.length;
    // The run of adjacent records not yet buffered: bytes[runStart…runEnd).
    let runStart = 0;
    let runEnd = 0;
    const bufferRun = () => {
      if (runEnd > runStart) this.pending.push(bytes.subarray(runStart, runEnd));
      runStart = runEnd = 0;
    };
    for (let i = 0; i < ranges.length; i += 2) {
      const start = ranges[i];
      const end = ranges[i + 1];
      const length = end - start;
      if (length + overhead > maxBytes) throw new RecordTooLarge(length, maxBytes);
      if (this.out && this.bytes + length + this.footer.length > maxBytes) {
        bufferRun();
        await this.close();
      }
      if (!this.out) await this.open();
      if (start !== runEnd || runEnd === 0) {
        bufferRun();
        runStart = start;
      }
      runEnd = end;
      this.pendingBytes += length;
      this.bytes += length;
      this.rows += 1;
      if (this.pendingBytes >= BUFFER_BYTES) {
        bufferRun();
        await this.flush();
      }
    }
    bufferRun();
  }

  /**
   * Hands what is buffered to the file and waits until it has been written: the buffers
   * given to write() and writeRanges() so far are then no longer referenced, and the
   * caller may fill them again.
   */
  async settle(): Promise<void> {
    await this.flush();
    await this.written;
    if (this.failure) throw this.failure;
  }

  /** Finishes the last file. Writes nothing if no record was written. */
  async end(): Promise<number> {
    if (this.out) await this.close();
    return this.index + 1;
  }

  private async open(): Promise<void> {
    this.index += 1;
    this.out = createWriteStream(this.options.pathOf(this.index));
    // A write error (disk full…) must fail the run, not the process.
    this.out.on('error', (e) => (this.failure ??= e));
    this.crc = 0;
    if (this.options.gzip) {
      this.gzip = createGzip({ level: 6 });
      // Beside the pipe, which sees the same chunks in the same order.
      this.gzip.on('data', (compressed: Buffer) => (this.crc = crc32c(compressed, this.crc)));
      this.gzip.pipe(this.out);
    }
    this.rows = 0;
    this.bytes = this.header.length;
    if (this.header.length) this.pending.push(this.header);
    this.pendingBytes += this.header.length;
  }

  private async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.pending.length === 0) return;
    // Copied into the writer's own buffer once its last write is done (the streams take a flush's
    // 256 KiB above their high-water mark, so flush() waited for it to drain already); a larger
    // run (a record near the limit) into a buffer of its own.
    let data: Buffer;
    if (this.pendingBytes <= COPY_BYTES) {
      await this.written;
      this.copy ??= Buffer.allocUnsafeSlow(COPY_BYTES);
      let at = 0;
      for (const part of this.pending) at += part.copy(this.copy, at);
      data = this.copy.subarray(0, at);
    } else data = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.gzip) this.crc = crc32c(data, this.crc);
    const target = this.gzip ?? (this.out as WriteStream);
    let accepted = true;
    // Writes complete in order: the last one's callback means every earlier one is done too.
    this.written = new Promise<void>((resolve) => {
      accepted = target.write(data, () => resolve());
    });
    if (!accepted) await once(target, 'drain');
  }

  private async close(): Promise<void> {
    if (this.footer.length) {
      this.pending.push(this.footer);
      this.pendingBytes += this.footer.length;
    }
    await this.flush();
    const out = this.out as WriteStream;
    const finished = once(out, 'close');
    if (this.gzip) this.gzip.end();
    else out.end();
    await finished;
    if (this.failure) throw this.failure;
    const chunk: Chunk = {
      index: this.index,
      path: this.options.pathOf(this.index),
      rows: this.rows,
      bytes: out.bytesWritten,
      crc32c: this.crc >>> 0,
    };
    this.out = null;
    this.gzip = null;
    await this.options.onChunk(chunk);
  }
}
