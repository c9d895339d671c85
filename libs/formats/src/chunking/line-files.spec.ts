import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DuckDb, sqlString } from '@bulk-export/duckdb';
import { useScratchDuckDb } from '../../../duckdb/src/scratch-duckdb.spec-helper';
import { jsonLinesSql, writeJsonGroup } from '../writers/json-lines';
import { ChunkTarget } from './chunk-writer';
import { spooledBlocks, writeLineFiles } from './line-files';

describe('line files written by DuckDB', () => {
  const scratch = useScratchDuckDb('line-files-');
  let dir: string;
  let db: DuckDb;
  beforeEach(() => ({ db, dir } = scratch));

  const target = (
    maxBytes: number,
    gzip = false,
  ): ChunkTarget & { chunks: { index: number; rows: number; bytes: number }[] } => {
    const chunks: { index: number; rows: number; bytes: number }[] = [];
    return {
      chunks,
      pathOf: (index) => join(dir, `out-${index}`),
      maxBytes,
      gzip,
      onChunk: async ({ index, rows, bytes }) => {
        chunks.push({ index, rows, bytes });
      },
    };
  };
  const read = (index: number, gzip = false) => {
    const bytes = readFileSync(join(dir, `out-${index}`));
    return (gzip ? gunzipSync(bytes) : bytes).toString('utf8');
  };
  const valuesSql = (lines: string[]) =>
    `SELECT line FROM (VALUES ${lines.map((l) => `(${sqlString(l)})`).join(', ')}) t(line)`;

  it('cuts the lines into files under the limit, exactly, even when a line holds line breaks', async () => {
    const lines = Array.from({ length: 40 }, (_, i) =>
      i % 3 === 0 ? `"cell ${i}\r\nspans, lines",x` : `row ${i},${'v'.repeat(i)}`,
    );
    const header = Buffer.from('HEAD\r\n');
    const out = target(200);
    await writeLineFiles(db, valuesSql(lines), out, header, Buffer.from('END\n'));
    expect(out.chunks.length).toBeGreaterThan(3);
    expect(out.chunks.map((c) => c.index)).toEqual(out.chunks.map((_, i) => i));
    const back: string[] = [];
    for (const chunk of out.chunks) {
      const text = read(chunk.index);
      expect(Buffer.byteLength(text)).toBe(chunk.bytes);
      expect(chunk.bytes).toBeLessThanOrEqual(200);
      expect(text.startsWith('HEAD\r\n') && text.endsWith('END\n')).toBe(true);
      back.push(text.slice(6, -4));
    }
    // Each file ends with a whole line, and the lines come back in order, byte for byte.
    expect(back.join('')).toBe(lines.map((l) => `${l}\n`).join(''));
    expect(out.chunks.reduce((n, c) => n + c.rows, 0)).toBe(lines.length);
    // Each file is as full as it can be: the next line would not have fitted.
    let line = 0;
    for (const chunk of out.chunks.slice(0, -1)) {
      line += chunk.rows;
      expect(read(chunk.index).length + Buffer.byteLength(lines[line]) + 1).toBeGreaterThan(200);
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.spool'))).toEqual([]);
  });

  it('gzips the files, with the limit on the bytes before compression', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i} ${'z'.repeat(50)}`);
    const out = target(1000, true);
    await writeLineFiles(db, valuesSql(lines), out, Buffer.from('H\n'));
    const text = out.chunks.map((c) => read(c.index, true));
    expect(text.every((t) => Buffer.byteLength(t) <= 1000 && t.startsWith('H\n'))).toBe(true);
    expect(text.map((t) => t.slice(2)).join('')).toBe(lines.map((l) => `${l}\n`).join(''));
  });

  it('writes no file for a group without lines and refuses a line larger than a file', async () => {
    const none = target(100);
    await writeLineFiles(db, `SELECT 'x' AS line WHERE false`, none, Buffer.from('H\n'));
    expect(none.chunks).toEqual([]);
    await expect(writeLineFiles(db, valuesSql(['y'.repeat(200)]), target(100), Buffer.from('H\n'))).rejects.toThrow(
      /file size limit/,
    );
  });

  it('reads lines across its 1 MiB blocks and lines longer than a block, each block in place', async () => {
    // Lines that end on, just before and just after the 1 MiB reads, and two of several MiB.
    const sizes = [1, 1048000, 500, 3 * 1048576 + 7, 20, 1048576 - 11, 1048576, 5, 2 * 1048576, 0, 77];
    const lines = sizes.map((n, i) => String.fromCharCode(97 + i).repeat(n));
    await db.run(`CREATE TABLE spool_lines AS SELECT * FROM (${valuesSql(lines)})`);
    const back: string[] = [];
    let blocks = 0;
    for await (const { bytes, ranges } of spooledBlocks(db, 'SELECT line FROM spool_lines', join(dir, 'lines.spool'))) {
      blocks += 1;
      for (let i = 0; i < ranges.length; i += 2) back.push(bytes.toString('utf8', ranges[i], ranges[i + 1]));
      // The reader's own: what the consumer writes into them does not reach the next block.
      bytes.fill(0x21);
      ranges.fill(-1);
    }
    expect(back.map((l) => l.length)).toEqual(sizes);
    expect(back).toEqual(lines);
    expect(blocks).toBeGreaterThanOrEqual(4);
    expect(readdirSync(dir).filter((f) => f.endsWith('.spool'))).toEqual([]);
  });

  describe('JSON lines', () => {
    const stage = async (events: { name: string; text: string }[]) =>
      db.run(
        `CREATE OR REPLACE VIEW staged AS SELECT * FROM (VALUES ${events.map((e) => `(${sqlString(e.text)}, ${sqlString(e.name)}, '20260101')`).join(', ')}) t(event, event_name, day)`,
      );
    const expected = (text: string) => {
      const event = JSON.parse(text) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of ['ts', 'profile', 'deviceInfo', 'eventProps']) if (f in event) out[f] = event[f];
      return JSON.stringify(out);
    };

    it('keeps an event in the usual shape byte for byte and rebuilds any other', async () => {
      const asIs = [
        '{"eventName":"e","ts":1,"profile":{"identity":"u"},"deviceInfo":{"make":"x"},"eventProps":{"a":1,"s":"x,\\"y\\"\\n"}}',
        '{"eventName":"e","ts":2,"profile":null,"eventProps":{"big":123456789012345678901234567890,"f":1.50}}',
        '{"eventName":"e","ts":"20260101000003"}',
      ];
      const rebuilt = [
        '{"eventName":"e","ts":4,"extra":{"dropped":true},"eventProps":{}}',
        '{"eventName":"e","eventProps":{"c":1},"ts":5}',
        '{"eventName": "e", "ts": 6, "profile": {"identity": "w"}}',
        '{"ts":7,"eventName":"e","deviceInfo":{}}',
        '{"eventName":"e","ts":8,\n"eventProps":{"n":[1,2]}}',
        '{"eventName":"\\u0065","ts":9}',
      ];
      await stage([...asIs, ...rebuilt].map((text) => ({ name: 'e', text })));
      const out = target(1 << 20);
      await writeJsonGroup(db, { eventName: 'e', day: '20260101', rows: 9 }, out);
      const [header, ...lines] = read(0).split('\n');
      expect(header).toBe('"e"');
      expect(lines.pop()).toBe('');
      expect(lines.slice(0, asIs.length)).toEqual(asIs.map((t) => `{${t.slice('{"eventName":"e",'.length)}`));
      expect(lines.slice(asIs.length).map((l) => JSON.stringify(JSON.parse(l)))).toEqual(rebuilt.map(expected));
      expect(lines.slice(asIs.length)).toEqual(rebuilt.map(expected));
    });

    it('keeps names that JSON escapes, and tells them apart from their prefixes', async () => {
      const name = 'Ünï "q" \\ end';
      const prefix = `{"eventName":${JSON.stringify(name)},`;
      await stage([
        { name, text: `${prefix}"ts":1,"eventProps":{"big":1e400}}` },
        { name, text: `{"eventName":${JSON.stringify(name + 'x')},"ts":2}` },
      ]);
      const rows = (await db.rows(`SELECT line FROM (${jsonLinesSql({ eventName: name, day: '20260101' })})`)) as [
        string,
      ][];
      expect(rows[0][0]).toBe('{"ts":1,"eventProps":{"big":1e400}}');
      expect(JSON.parse(rows[1][0])).toEqual({ ts: 2 });
    });
  });
});
