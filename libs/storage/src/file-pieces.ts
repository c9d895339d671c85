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
/**
 * Buffers kept between reads, for the next ones: the uploader writes 2 groups with up to 3 uploads
 * each at once, and each upload takes a buffer only when it reads a piece into a slot it has not
 * filled yet (a small file one, a file of 16 MiB or more all 16).
 */
const KEPT_BUFFERS = 48;

/**
 * Reads files for uploads into buffers that are used again, from one piece of a file to the next
 * and from one file to the next: a readable stream that allocates a buffer for every read (as
 * fs.createReadStream does) made V8 run a full garbage collection for about every 64 MB of
 * buffers, 46 per million events of an XML export, 3–5 CPU-s with its helper threads.
 *
 * A reader reads piece i into its slot i % PIECES, so one stream never hands on more than PIECES
 * distinct buffers at once. Its buffers go back to the pool only once the caller knows nothing
 * holds them any more (`release` after the whole upload succeeded, which is a no-op unless the
 * stream was read to its end); after a failure they are left to the garbage collector, as a
 * request that was cut off may not have let go of them yet.
 */
export class FilePieces {
  private readonly idle: Buffer[] = [];

  /**
   * A stream of the file's bytes, and `release` for when its pieces are no longer referenced.
   * `onPiece` is called as each piece has been read (the stream reads the next only when its
   * reader took the one before).
   */
  read(path: string, onPiece?: () => void): { stream: Readable; release: () => void } {
    const slots: Buffer[] = [];
    let file: FileHandle | null = null;
    let size = 0;
    let position = 0;
    let next = 0;
    const stream = new Readable({
      // One piece ahead of its reader at most (not 0: with `construct`, a stream of 0 never starts reading).
      highWaterMark: 1,
      // Before any read or destroy: a stream destroyed while the file opens still closes it.
      construct(callback) {
        (async () => {
          file = await open(path, 'r');
          size = (await file.stat()).size;
        })().then(() => callback(), callback);
      },
      read: () => {
        // The end needs no buffer (a file that changed meanwhile fails the upload's CRC32C).
        if (position >= size) return stream.push(null);
        const slot = next++ % PIECES;
        const buffer = (slots[slot] ??= this.idle.pop() ?? Buffer.allocUnsafeSlow(PIECE_BYTES));
        (file as FileHandle).read(buffer, 0, Math.min(buffer.length, size - position), position).then(
          ({ bytesRead }) => {
            position += bytesRead;
            onPiece?.();
            stream.push(bytesRead === 0 ? null : buffer.subarray(0, bytesRead));
          },
          (e: Error) => stream.destroy(e),
        );
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
      if (released || !stream.readableEnded) return;
      released = true;
      for (const buffer of slots) if (this.idle.length < KEPT_BUFFERS) this.idle.push(buffer);
    };
    return { stream, release };
  }
}
