import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';

/** Bytes of one piece a file is read in. */
export const PIECE_BYTES = 1 << 20;
/**
 * Pieces one reader cycles through. An upload holds a few at once (the one being read, the client's
 * upload stream, its request stream, the socket's queue and the one the client keeps to resend), each
 * stage taking the next only once the one after it drained. Measured against fake-gcs-server with
 * three 40 MiB uploads at once: 2 were too few (a piece was overwritten before it was sent, and the
 * server refused the object's CRC32C), 3 enough; 16 leave five times that.
 */
export const PIECES = 16;
/** Sets of pieces kept between reads (the uploader writes 2 groups with up to 3 uploads each at once). */
const KEPT_SETS = 2;

/**
 * Reads files for uploads into buffers that are used again, from one piece of a file to the next
 * and from one file to the next: a readable stream that allocates a buffer for every read (as
 * fs.createReadStream does) made V8 run a full garbage collection for about every 64 MB of
 * buffers, 46 per million events of an XML export, 3–5 CPU-s with its helper threads.
 *
 * A piece is read into the buffer it had PIECES pieces earlier, so one stream never hands on more
 * than PIECES distinct buffers at once. The buffers go back to the pool only once the caller knows
 * nothing holds them any more (`release` after the whole upload succeeded); after a failure they
 * are left to the garbage collector, as a request that was cut off may not have let go of them yet.
 */
export class FilePieces {
  private readonly idle: Buffer[][] = [];

  /** A stream of the file's bytes, and `release` for when its pieces are no longer referenced. */
  read(path: string): { stream: Readable; release: () => void } {
    const buffers = this.idle.pop() ?? Array.from({ length: PIECES }, () => Buffer.allocUnsafeSlow(PIECE_BYTES));
    let file: FileHandle | null = null;
    let next = 0;
    const stream = new Readable({
      // One piece ahead of its reader at most.
      highWaterMark: 0,
      read() {
        void (async () => {
          try {
            file ??= await open(path, 'r');
            const buffer = buffers[next++ % buffers.length];
            const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
            stream.push(bytesRead === 0 ? null : buffer.subarray(0, bytesRead));
          } catch (e) {
            stream.destroy(e as Error);
          }
        })();
      },
      destroy(error, callback) {
        const closing = file?.close() ?? Promise.resolve();
        file = null;
        closing.then(
          () => callback(error),
          (e: Error) => callback(error ?? e),
        );
      },
    });
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (this.idle.length < KEPT_SETS) this.idle.push(buffers);
    };
    return { stream, release };
  }
}
