import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { crc32c } from '@node-rs/crc32';
import { Chunk, ChunkWriter, RecordTooLarge } from './chunk-writer';

describe('ChunkWriter', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'chunks-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const writer = (maxBytes: number, chunks: Chunk[], gzip = false) =>
    new ChunkWriter({
      pathOf: (i) => join(dir, `f${i}`),
      maxBytes,
      header: Buffer.from('H\n'),
      footer: Buffer.from('F\n'),
      gzip,
      onChunk: async (c) => void chunks.push(c),
    });

  it('never exceeds the limit and keeps every record, in order, with contiguous indexes', async () => {
    const chunks: Chunk[] = [];
    const w = writer(40, chunks);
    const records = Array.from({ length: 25 }, (_, i) => `record-${String(i).padStart(2, '0')}\n`);
    for (const r of records) await w.write(Buffer.from(r));
    expect(await w.end()).toBe(chunks.length);
    expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
    let all = '';
    for (const c of chunks) {
      const text = readFileSync(c.path, 'utf8');
      expect(Buffer.byteLength(text)).toBe(c.bytes);
      expect(c.bytes).toBeLessThanOrEqual(40);
      expect(text.startsWith('H\n') && text.endsWith('F\n')).toBe(true);
      all += text.slice(2, -2);
    }
    expect(all).toBe(records.join(''));
    expect(chunks.reduce((n, c) => n + c.rows, 0)).toBe(25);
  });

  it('fills a file exactly up to the limit', async () => {
    const chunks: Chunk[] = [];
    const w = writer(10, chunks);
    for (const r of ['ab\n', 'cd\n', 'ef\n']) await w.write(Buffer.from(r));
    await w.end();
    // 2 (header) + 3 + 2 (footer) = 7; a second record would make 10: it fits exactly.
    expect(chunks.map((c) => [c.rows, c.bytes])).toEqual([
      [2, 10],
      [1, 7],
    ]);
  });

  it('writes ranges of a buffer, adjacent or apart, into the same files as one record at a time', async () => {
    // Records of 1 to 9 bytes; some lie end to end in the buffer, some have a gap before them.
    const records = Array.from({ length: 60 }, (_, i) => `${'x'.repeat(i % 9)}\n`);
    const parts: string[] = [];
    const ranges: number[] = [];
    let at = 0;
    for (const [i, r] of records.entries()) {
      const gap = i % 4 === 0 ? '#'.repeat(1 + (i % 3)) : '';
      parts.push(gap, r);
      at += gap.length;
      ranges.push(at, at + r.length);
      at += r.length;
    }
    const bytes = Buffer.from(parts.join(''));
    for (const gzip of [false, true]) {
      const one: Chunk[] = [];
      const byOne = writer(23, one, gzip);
      for (const r of records) await byOne.write(Buffer.from(r));
      await byOne.end();
      const oneFiles = one.map((c) => readFileSync(c.path));
      rmSync(dir, { recursive: true, force: true });
      dir = mkdtempSync(join(tmpdir(), 'chunks-'));
      const all: Chunk[] = [];
      const byRanges = writer(23, all, gzip);
      // In two calls, split inside a file.
      await byRanges.writeRanges(bytes, ranges.slice(0, 2 * 25));
      await byRanges.writeRanges(bytes, ranges.slice(2 * 25));
      await byRanges.end();
      expect(all.map((c) => [c.index, c.rows])).toEqual(one.map((c) => [c.index, c.rows]));
      expect(all.map((c) => readFileSync(c.path))).toEqual(oneFiles);
      expect(all.length).toBeGreaterThan(5);
      const body = (c: Chunk) =>
        (gzip ? gunzipSync(readFileSync(c.path)) : readFileSync(c.path)).toString().slice(2, -2);
      expect(all.map(body).join('')).toBe(records.join(''));
    }
  });

  it('writes no file for no records', async () => {
    const chunks: Chunk[] = [];
    expect(await writer(100, chunks).end()).toBe(0);
    expect(chunks).toEqual([]);
  });

  it('refuses a record that cannot fit in any file', async () => {
    await expect(writer(10, []).write(Buffer.from('0123456789'))).rejects.toThrow(RecordTooLarge);
  });

  it.each([
    [false, 10 * 1024],
    [false, 100 * 1024],
    [true, 10 * 1024],
    [true, 100 * 1024],
  ])('lets the caller fill a buffer again once settled (gzip: %s, %i bytes)', async (gzip, size) => {
    const chunks: Chunk[] = [];
    const w = writer(1 << 22, chunks, gzip);
    // One buffer written, settled, then overwritten with the next records, as the XML writer reuses its blocks'
    // buffers.
    // Less than ChunkWriter buffers before writing, and (10 KiB) less than the file stream takes without waiting.
    const buffer = Buffer.alloc(size);
    const expected: string[] = [];
    for (let round = 0; round < 20; round++) {
      buffer.fill(97 + (round % 26));
      for (let at = 99; at < buffer.length; at += 100) buffer[at] = 10;
      await w.writeRanges(buffer, [0, buffer.length]);
      await w.settle();
      expected.push(buffer.toString());
    }
    await w.end();
    const file = readFileSync(chunks[0].path);
    expect((gzip ? gunzipSync(file) : file).toString()).toBe(`H\n${expected.join('')}F\n`);
  });

  it.each([false, true])(
    'writes megabytes through its write buffers, and records larger than they are, byte for byte, with their CRC32C (gzip: %s)',
    async (gzip) => {
      const chunks: Chunk[] = [];
      const w = writer(3 << 20, chunks, gzip);
      // Records from 1 byte to 700 KiB (beyond the write buffers), each of its own letter, none settled in between.
      const records: string[] = [];
      for (let i = 0; records.join('').length < 8 << 20; i++) {
        const size = i % 17 === 0 ? 700 * 1024 : 1 + ((i * 7919) % 40_000);
        records.push(`${String.fromCharCode(97 + (i % 26)).repeat(size - 1)}\n`);
      }
      for (let i = 0; i < records.length; i += 5) {
        const batch = Buffer.from(records.slice(i, i + 5).join(''));
        const ranges: number[] = [];
        for (let at = 0, j = i; j < Math.min(i + 5, records.length); j++) ranges.push(at, (at += records[j].length));
        await w.writeRanges(batch, ranges);
      }
      await w.end();
      expect(chunks.length).toBeGreaterThan(2);
      // Each file's CRC32C, computed while it was written, is that of its bytes on disk (compressed ones with gzip).
      for (const c of chunks) expect(c.crc32c).toBe(crc32c(readFileSync(c.path)) >>> 0);
      const text = chunks.map((c) => readFileSync(c.path)).map((f) => (gzip ? gunzipSync(f) : f).toString());
      expect(text.every((t) => t.startsWith('H\n') && t.endsWith('F\n'))).toBe(true);
      expect(text.map((t) => t.slice(2, -2)).join('')).toBe(records.join(''));
    },
  );

  it('gzips each file on its own', async () => {
    const chunks: Chunk[] = [];
    const w = writer(30, chunks, true);
    for (let i = 0; i < 10; i++) await w.write(Buffer.from(`line ${i}\n`));
    await w.end();
    const text = chunks.map((c) => gunzipSync(readFileSync(c.path)).toString()).join('');
    expect(text.replace(/H\n|F\n/g, '')).toBe(Array.from({ length: 10 }, (_, i) => `line ${i}\n`).join(''));
  });
});
