import { DuckDb } from '@bulk-export/duckdb';
import { useScratchDuckDb } from '../../../duckdb/src/scratch-duckdb.spec-helper';
import { blockOf, jsonString } from '../json/json-block.spec-helper';
import { random } from '../seeded-random.spec-helper';
import { csvColumns } from '../writers/csv';
import { duckDbCsvLines } from './csv-duckdb.spec-helper';
import { CsvTranscoder, duckDbRealText } from './csv-transcoder';

/** The lines CsvTranscoder writes for events, each with its size checked. */
function transcode(events: string[], paths: string[][], spare?: ArrayBufferLike): string[] {
  const { bytes, ranges } = blockOf(events);
  const { out, sizes } = new CsvTranscoder(paths).block(bytes, ranges, spare);
  const lines: string[] = [];
  let at = 0;
  for (const size of sizes) {
    lines.push(out.toString('utf8', at, at + size));
    at += size;
  }
  expect(at).toBe(out.length);
  return lines;
}

/** The columns csv.ts finds for events. */
async function columnsOf(events: string[]): Promise<string[][]> {
  return csvColumns(async function* () {
    yield blockOf(events);
  });
}

describe('CsvTranscoder', () => {
  const scratch = useScratchDuckDb('csv-', 1);
  let db: DuckDb;
  beforeEach(() => ({ db } = scratch));

  it('writes cells as DuckDB reads the values: typed, quoted, formulas neutralised', async () => {
    const events = [
      { eventName: 'e', ts: 20260101000000, eventProps: { n: -5, d: 1.5e300, b: true, s: '=1+1', m: 'a,"b"' } },
      { eventName: 'e', ts: 20260101000001, eventProps: { n: null, d: -0.25, b: false, s: '-x', m: 'line\r\nbreak' } },
      { eventName: 'e', ts: 20260101000002, eventProps: { d: 3, s: null } },
      { eventName: 'e', ts: 20260101000003 },
    ].map((e) => JSON.stringify(e));
    const paths = [
      ['ts'],
      ['eventName'],
      ['eventProps', 'b'],
      ['eventProps', 'd'],
      ['eventProps', 'm'],
      ['eventProps', 'n'],
      ['eventProps', 's'],
    ];
    expect(await columnsOf(events)).toEqual(paths);
    const expected = [
      `20260101000000,e,true,1.5e300,"a,""b""",-5,'=1+1\r\n`,
      `20260101000001,e,false,-0.25,"line\r\nbreak",,'-x\r\n`,
      `20260101000002,e,,3,,,\r\n`,
      `20260101000003,e,,,,,\r\n`,
    ];
    expect(await duckDbCsvLines(db, events, paths)).toEqual(expected);
    expect(transcode(events, paths)).toEqual(expected);
  });

  it('spells numbers, strings, arrays and objects as DuckDB prints them', async () => {
    const values = [
      // Integers as written (beyond 64 bits too), -0 as 0.
      ...[
        '0',
        '-0',
        '7',
        '-42',
        '9007199254740993',
        '-9223372036854775809',
        '18446744073709551616',
        '1' + '0'.repeat(40),
      ],
      // Other numbers: shortest digits, `.0` when integral, an exponent from 1e21 and below 1e-6, out of range as written.
      ...[
        '1.0',
        '-0.0',
        '-0e0',
        '2.50',
        '1e2',
        '1E+2',
        '1e-2',
        '1e-6',
        '1e-7',
        '2e-7',
        '123e-20',
        '1e20',
        '1e21',
        '1e22',
      ],
      ...['0.30000000000000004', '1.0000000000000001', '9007199254740993.0', '123456789.123456789', '5e-324', '1e-400'],
      ...['-1e-400', '1.7976931348623157e308', '1.7976931348623159e308', '1e400', '-1e400', '3.14159e100', '-0.5e-3'],
      ...['true', 'false', 'null', '""', '"="', '"+1"', '"-"', '"@x"', '"\\tx"', '"\\rx"', '" =x"', '"a,b"', '"a\\"b"'],
      ...['"\\u0000\\u0001\\u001f\\u007f\\u0080\\u00e9\\u2028\\ud83d\\ude00\\/\\\\"', '"é😀"', '"\\n"', '"x\\u002cy"'],
      ...['[]', '{}', '[1]', '[1,2]', ' [ 1e2 , -0 , 1.0 , "a\\"b" , {"k" : null} ] ', '{"a":{"b":[true,false]}}'],
      ...['["\\u0001\\u001F\\b\\f\\n\\r\\t\\"\\\\\\/é\\u00e9"]', '{"x\\u0041":1,"xA":2}', '[[[[[["deep"]]]]]]'],
    ];
    const events = values.map((v) => `{"eventName":"e","eventProps":{"v":${v}}}`);
    const paths = [['ts'], ['eventName'], ['eventProps', 'v']];
    expect(transcode(events, paths)).toEqual(await duckDbCsvLines(db, events, paths));
  });

  it('follows the first occurrence of a key, keys compared unescaped, as DuckDB does', async () => {
    const events = [
      '{"eventName":"e","eventProps":{"a":1,"a":2}}',
      '{"eventName":"e","eventProps":{"a":null,"a":2,"a/b":"","a/b":"x"}}',
      '{"eventName":"e","eventProps":{"a":{"b":1},"a":{"c":2}}}',
      '{"eventName":"e","eventProps":null,"eventProps":{"a":3}}',
      '{"eventName":"e","eventProps":{"\\u0061":4,"a\\/b":5,"a/b":6}}',
      '{"eventName":"e","eventProps":{"a~b":7,"":8,"ü":9,"\\u00fc":10}}',
      '{"eventName":"x","eventName":"e","ts":"2026","ts":1}',
      '[1,2]',
    ];
    const paths = [
      ['ts'],
      ['eventName'],
      ['eventProps', 'a'],
      ['eventProps', 'a/b'],
      ['eventProps', 'a~b'],
      ['eventProps', ''],
      ['eventProps', 'ü'],
      ['eventProps', 'c', 'd'],
    ];
    expect(transcode(events, paths)).toEqual(await duckDbCsvLines(db, events, paths));
  });

  it('writes what DuckDB writes, for any event (seeded fuzz)', async () => {
    const next = random(16);
    const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)];
    const STRINGS = [
      '',
      'x',
      '=SUM(A1)',
      '+1',
      '-',
      '@me',
      '\tx',
      '\rx',
      'a,b',
      'a "q" \\ t',
      'cr\rlf\n',
      '\u0000\u0001\u001f\u007f',
      'Ünï 日本 😀',
      '\u2028',
      '/s/',
      "it's",
    ];
    const NUMBERS = [
      '0',
      '-0',
      '7',
      '-42',
      '9007199254740993',
      '12345678901234567890',
      '1.0',
      '2.50',
      '-0.001',
      '1e2',
      '1E+2',
      '1e-2',
      '1e400',
      '0.0000005',
      '1e21',
      '-0.0',
    ];
    const KEYS = ['a', 'b', 'n', 'Ünï', '😀', 'a/b', 'a~b', '', 'x.y', '__proto__', 'constructor', 'a,b', '=f', 'q"k'];
    const randomNumber = () => {
      const x = (next() - 0.5) * 10 ** Math.floor(next() * 60 - 30);
      return pick([
        String(x),
        x.toExponential(Math.floor(next() * 17)),
        x.toPrecision(1 + Math.floor(next() * 20)),
        String(Math.round(x)),
      ]);
    };
    const space = () => pick(['', '', '', ' ', '\n  ', '\t', '\r\n']);
    const value = (depth: number): string => {
      const kind = next();
      if (depth > 3 || kind < 0.45)
        return pick([
          () => pick(NUMBERS),
          randomNumber,
          () => jsonString(pick(STRINGS), next),
          () => pick(['true', 'false', 'null']),
        ])();
      if (kind < 0.6)
        return `[${Array.from({ length: Math.floor(next() * 4) }, () => space() + value(depth + 1) + space()).join(',')}]`;
      return object(depth);
    };
    // Keys may repeat, and be spelled with escapes; `n` holds an object or null (its keys become columns too).
    const object = (depth: number): string => {
      const keys = Array.from({ length: Math.floor(next() * 6) }, () => pick(KEYS));
      const valueOf = (k: string) =>
        k === 'n' && depth < 3 ? (next() < 0.2 ? 'null' : object(depth + 1)) : value(depth + 1);
      return `{${keys.map((k) => `${space()}${jsonString(k, next, 0.1)}${space()}:${space()}${valueOf(k)}${space()}`).join(',')}}`;
    };
    const FIELDS = ['ts', 'profile', 'deviceInfo', 'eventProps', 'other'];
    for (let round = 0; round < 6; round++) {
      const events: string[] = [];
      for (let i = 0; i < 400; i++) {
        const members = [`"eventName":${jsonString('e', next)}`];
        for (const field of FIELDS)
          if (next() < 0.8)
            members.push(
              `${space()}"${field}"${space()}:${space()}${field === 'ts' || field === 'other' ? value(4) : next() < 0.1 ? 'null' : object(1)}`,
            );
        members.sort(() => next() - 0.5);
        events.push(`${space()}{${members.join(',')}}${space()}`);
      }
      const paths = await columnsOf(events);
      // Nested columns, mixed and not: eventProps.a, profile.n.b…
      expect(paths.length).toBeGreaterThan(30);
      const expected = await duckDbCsvLines(db, events, paths);
      const lines = transcode(events, paths);
      const differ = lines
        .map((line, i) => ({ event: events[i], line, expected: expected[i] }))
        .filter((d) => d.line !== d.expected);
      expect(differ.slice(0, 3)).toEqual([]);
      expect(lines.length).toBe(events.length);
    }
  });

  it('writes into the spare buffer, and moves to its own when the lines outgrow it', () => {
    const paths = [['ts'], ['eventName'], ['eventProps', 'v']];
    // Values that grow most as cells: 1e20 prints with 21 digits, quotes double.
    const events = [
      '{"eventName":"e","eventProps":{"v":[1e20,1e20,1e20]}}',
      '{"eventName":"e","eventProps":{"v":"\\"\\"\\""}}',
    ];
    const { bytes, ranges } = blockOf(events);
    const spare = new SharedArrayBuffer(4096);
    const inSpare = new CsvTranscoder(paths).block(bytes, ranges, spare);
    expect(inSpare.out.buffer).toBe(spare);
    expect(inSpare.out.toString('utf8')).toBe(
      ',e,"[100000000000000000000.0,100000000000000000000.0,100000000000000000000.0]"\r\n,e,""""""""\r\n',
    );
    const many = blockOf(Array.from({ length: 200 }, () => events[0]));
    const outgrown = new CsvTranscoder(paths).block(many.bytes, many.ranges, new SharedArrayBuffer(1024));
    expect(outgrown.out.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(outgrown.out.toString('utf8')).toBe(inSpare.out.toString('utf8', 0, inSpare.sizes[0]).repeat(200));
  });

  it('lets go of scratch memory grown for a large event once the block is done', () => {
    const paths = [['ts'], ['eventName'], ['eventProps', 'v']];
    const transcoder = new CsvTranscoder(paths);
    const scratch = () => transcoder as unknown as { cells: Buffer; scratch: Buffer };
    const large = `{"eventName":"e","eventProps":{"v":"${'x\\n'.repeat(1 << 20)}"}}`;
    const { bytes, ranges } = blockOf([large]);
    const { out } = transcoder.block(bytes, ranges);
    expect(out.length).toBe(',e,"'.length + 2 * (1 << 20) + '"\r\n'.length);
    expect(scratch().cells.length).toBeLessThanOrEqual(1 << 20);
    expect(scratch().scratch.length).toBeLessThanOrEqual(1 << 20);
  });

  it('refuses a lone surrogate, as DuckDB does', () => {
    expect(() => transcode(['{"eventName":"\\ud800"}'], [['ts'], ['eventName']])).toThrow(/lone UTF-16 surrogate/);
  });

  it.each([
    ['1e21', '1e21'],
    ['1e20', '100000000000000000000.0'],
    ['-0.0', '-0.0'],
    ['1e-7', '1e-7'],
    ['1.5E+300', '1.5e300'],
    ['1e400', '1e400'],
  ])('spells the real number %s as %s', (text, spelled) => expect(duckDbRealText(text)).toBe(spelled));
});
