import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilePieces, PIECE_BYTES, PIECES } from './file-pieces';

describe('FilePieces', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'file-pieces-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, bytes: number): { path: string; content: Buffer } {
    const content = randomBytes(bytes);
    const path = join(dir, name);
    writeFileSync(path, content);
    return { path, content };
  }

  /** The pieces of a stream, copied as they come (the next read may overwrite a piece), and the buffers they were in. */
  async function piecesOf(stream: AsyncIterable<Buffer>): Promise<{ content: Buffer; buffers: ArrayBufferLike[] }> {
    const copies: Buffer[] = [];
    const buffers: ArrayBufferLike[] = [];
    for await (const piece of stream) {
      copies.push(Buffer.from(piece));
      buffers.push(piece.buffer);
    }
    return { content: Buffer.concat(copies), buffers };
  }

  it('gives every byte of a file, in pieces of at most PIECE_BYTES', async () => {
    const pieces = new FilePieces();
    for (const bytes of [0, 1, PIECE_BYTES - 1, PIECE_BYTES, 2 * PIECE_BYTES + 3]) {
      const { path, content } = file(`f${bytes}`, bytes);
      const read = pieces.read(path);
      const got = await piecesOf(read.stream);
      read.release();
      expect(got.content.equals(content)).toBe(true);
      expect(got.buffers.length).toBe(Math.ceil(bytes / PIECE_BYTES));
    }
  });

  it('reads a file into PIECES buffers in turn, and the next file into the same ones once released', async () => {
    const pieces = new FilePieces();
    const big = file('big', (PIECES + 3) * PIECE_BYTES + 10);
    const first = pieces.read(big.path);
    const got = await piecesOf(first.stream);
    expect(got.content.equals(big.content)).toBe(true);
    expect(new Set(got.buffers).size).toBe(PIECES);
    // The piece after PIECES pieces is in the first piece's buffer.
    expect(got.buffers[PIECES]).toBe(got.buffers[0]);
    first.release();
    first.release();
    const again = await piecesOf(pieces.read(big.path).stream);
    expect(again.content.equals(big.content)).toBe(true);
    expect(new Set([...again.buffers, ...got.buffers]).size).toBe(PIECES);
  });

  it('never hands a reader buffers that another one was not done with', async () => {
    const pieces = new FilePieces();
    const { path } = file('twice', 3 * PIECE_BYTES);
    const unreleased = pieces.read(path);
    const one = await piecesOf(unreleased.stream);
    // Not released (as after a failed upload): the next read gets buffers of its own.
    const other = await piecesOf(pieces.read(path).stream);
    expect(other.buffers.some((b) => one.buffers.includes(b))).toBe(false);
  });

  it('takes a buffer only for a slot it fills, and lends back only what a finished stream read', async () => {
    const pieces = new FilePieces();
    const small = file('small', 10);
    const read = pieces.read(small.path);
    const one = await piecesOf(read.stream);
    read.release();
    // The small file's one buffer serves the next file's first slot.
    const big = file('three', 3 * PIECE_BYTES);
    const next = await piecesOf(pieces.read(big.path).stream);
    expect(next.buffers[0]).toBe(one.buffers[0]);
    // Released before its end (a caller's mistake): nothing goes back, as the stream may still fill them.
    const cut = pieces.read(big.path);
    const first = (await cut.stream[Symbol.asyncIterator]().next()).value as Buffer;
    cut.stream.destroy();
    cut.release();
    const after = await piecesOf(pieces.read(small.path).stream);
    expect(after.buffers[0]).not.toBe(first.buffer);
  });

  it('leaves no file open when a stream is destroyed before its first piece', async () => {
    const { path } = file('opening', 100);
    const read = new FilePieces().read(path);
    // Reading starts (the file is being opened), and the stream is destroyed before the first piece.
    read.stream.resume();
    await new Promise((resolve) => process.nextTick(resolve));
    read.stream.destroy();
    await new Promise((resolve) => read.stream.on('close', resolve));
    // No descriptor of this process is left open on the file.
    const open = readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === path;
      } catch {
        return false;
      }
    });
    expect(open).toEqual([]);
  });

  it('fails the stream when the file cannot be read', async () => {
    const read = new FilePieces().read(join(dir, 'absent'));
    await expect(piecesOf(read.stream)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
