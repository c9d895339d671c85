import { random } from '../seeded-random.spec-helper';
import { blockOf, jsonString } from '../json/json-block.spec-helper';
import type { XmlLayout } from '@bulk-export/domain';
import { slowXmlEvent, xmlEventsOfBlock, XmlRecords } from './xml-event';
import { XmlTranscoder } from './xml-transcoder';

const transcode = (json: string, layout: XmlLayout = 'typed', records: XmlRecords = 'events'): string | null => {
  const bytes = Buffer.from(json, 'utf8');
  const xml = new XmlTranscoder(16, undefined, layout, records);
  return xml.event(bytes, 0, bytes.length) ? xml.out.toString('utf8', 0, xml.used) : null;
};
const slow = (json: string, layout: XmlLayout = 'typed', records: XmlRecords = 'events'): string => {
  const bytes = Buffer.from(json, 'utf8');
  return slowXmlEvent(bytes, 0, bytes.length, layout, records);
};

describe('XmlTranscoder', () => {
  it.each([
    ['typed', 'events'],
    ['documented', 'events'],
    ['documented', 'profiles'],
  ] as [XmlLayout, XmlRecords][])(
    'writes what xmlEvent writes for the parsed event, for any event (seeded fuzz): %s layout, %s',
    (layout, records) => {
      const next = random(11);
      const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)];
      const STRINGS = [
        '',
        'x',
        'a "quoted" \\ text',
        "it's <b>&amp;</b>",
        'cr\rlf\n',
        'tab\there',
        '\u0000nul\u0001\u001f\u007f',
        'Ünïcødé 日本 😀',
        '\uFFFE\uFFFF\uFFFD',
        'lone \uD83D high',
        'lone \uDE00 low',
        'pair \uD83D\uDE00',
        '\u0085\u2028',
        '/slash/',
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
      ];
      // Keys with no escapes (those with one are declined, below): markup, quotes, unicode, U+FFFE.
      const KEYS = [
        'a',
        'b',
        'n',
        'tags',
        'Ünï',
        '😀',
        '<tag>',
        "it's",
        '&',
        '__proto__',
        'constructor',
        'toString',
        '',
        '\uFFFE',
        'del\u007f',
        'x-y.z_1',
        '_u',
        '1a',
        'a b',
        'a:b',
        '.a',
        '-a',
      ];
      const space = () => pick(['', '', '', ' ', '\n  ', '\t', '\r\n']);
      const value = (depth: number): string => {
        const kind = next();
        if (depth > 3 || kind < 0.4) {
          return pick([
            () => pick(NUMBERS),
            () => jsonString(pick(STRINGS), next),
            () => pick(['true', 'false', 'null']),
          ])();
        }
        if (kind < 0.6)
          return `[${Array.from({ length: Math.floor(next() * 4) }, () => space() + value(depth + 1) + space()).join(',')}]`;
        const keys = [...new Set(Array.from({ length: Math.floor(next() * 6) }, () => pick(KEYS)))];
        return `{${keys.map((k) => `${space()}${jsonString(k, () => 1)}${space()}:${space()}${value(depth + 1)}${space()}`).join(',')}}`;
      };
      const FIELDS = ['ts', 'profile', 'deviceInfo', 'eventProps', 'other', 'ignored', 'deleted'];
      let transcoded = 0;
      for (let round = 0; round < 3000; round++) {
        const members = [`"eventName":${jsonString(pick(STRINGS) || 'e', next)}`];
        for (const field of FIELDS)
          if (next() < 0.7) members.push(`${space()}"${field}"${space()}:${space()}${value(1)}`);
        members.sort(() => next() - 0.5);
        const json = `${space()}{${members.join(',')}}${space()}`;
        const fast = transcode(json, layout, records);
        // Keys here are never given twice, spelled with escapes or array indexes: nothing is declined,
        // except, in the documented layout, keys beyond ASCII where they may become element names.
        // (Strings and key names in the event are still escaped at random, including lone surrogates.)
        if (fast !== null) {
          expect([json, fast]).toEqual([json, slow(json, layout, records)]);
          transcoded += 1;
        }
        const bytes = Buffer.from(json, 'utf8');
        expect(
          xmlEventsOfBlock(bytes, Int32Array.from([0, bytes.length]), undefined, layout, records).out.toString('utf8'),
        ).toBe(slow(json, layout, records));
      }
      expect(transcoded).toBeGreaterThan(layout === 'typed' ? 2999 : 1500);
    },
  );

  it('declines, writing nothing, what JSON.parse reads differently from the bytes; the block still comes out the same', () => {
    const declined = [
      '{"eventName":"e","eventProps":{"a":1,"a":2}}', // a key given twice: JSON.parse keeps its first place and its last value
      '{"eventName":"e","eventProps":{"b":1,"10":2,"2":3}}', // array indexes: JavaScript lists them first, in numeric order
      '{"eventName":"e","eventProps":{"0":true}}',
      '{"eventName":"e","eventProps":{"\\u0061":1,"a":2}}', // the same key, spelled with an escape
      '{"eventName":"e","ts":1,"ts":2}',
      '{"eventName":"e","\\u0074s":2}',
      '{"eventName":"a","eventName":"b"}',
      '{"eventName":"e","profile":{"quo\\"te":1}}', // any escape in a key
      '{"eventName":"e","profile":{"ctl\\u0001":1}}',
    ];
    const kept = [
      '{"eventName":"e","eventProps":{"01":1,"1.5":2,"-1":3,"12345678901":4}}', // not array indexes
      '{"eventName":"e","eventProps":{"x":{"a":1},"y":{"a":2}}}', // the same key in two objects
      '{"eventName":"e","profile":{"a":{"a":{"a":1}}}}',
    ];
    for (const json of declined) expect([json, transcode(json)]).toEqual([json, null]);
    for (const json of kept) expect([json, transcode(json)]).toEqual([json, slow(json)]);

    const all = [...declined, ...kept];
    const { bytes, ranges } = blockOf(all, '', '');
    const block = xmlEventsOfBlock(bytes, ranges, undefined, 'typed');
    expect(block.out.toString('utf8')).toBe(all.map((json) => slow(json)).join(''));
    expect(Array.from(block.sizes)).toEqual(all.map((json) => Buffer.byteLength(slow(json))));
  });

  it('writes the five fields in the element order whatever the event order, and leaves out the others', () => {
    expect(
      transcode('{"eventProps":{"n":1},"x":[1,2],"deviceInfo":null,"eventName":"Charged","ts":20261128101010}'),
    ).toBe(
      '<Event><ts>20261128101010</ts><eventName>Charged</eventName><deviceInfo></deviceInfo><eventProps><entry><key>n</key><value type="number">1</value></entry></eventProps></Event>\n',
    );
    expect(transcode('{"eventName":"e"}')).toBe('<Event><ts></ts><eventName>e</eventName></Event>\n');
  });

  it('leaves an event nested deeper than its recursion goes to the slow path, instead of failing the block', () => {
    // The transcoder takes more stack per level than xmlEvent(): find the shallowest nesting that exhausts it.
    const nested = (depth: number) => `{"eventName":"e","eventProps":${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}}`;
    const overflows = (json: string) => {
      try {
        transcode(json);
        return false;
      } catch (e) {
        if ((e as Error).name === 'RangeError') return true;
        throw e;
      }
    };
    let depth = 500;
    while (!overflows(nested(depth)) && depth < 1_000_000) depth = Math.ceil(depth * 1.25);
    const json = nested(depth);
    const bytes = Buffer.from(json);
    const block = () =>
      xmlEventsOfBlock(bytes, Int32Array.from([0, bytes.length]), undefined, 'typed').out.toString('utf8');
    // The stack left at this depth differs between runs (Node.js 24, ts-jest, the JIT's frames): the block either
    // writes exactly what the slow path writes, or fails with the stack's RangeError as the slow path alone would;
    // never another error, never other output.
    let written: string | null = null;
    try {
      written = block();
    } catch (e) {
      // Thrown from whichever realm the frame that overflowed belongs to (Jest's or Node's), so not `instanceof`.
      expect(e).toMatchObject({ name: 'RangeError', message: expect.stringMatching(/call stack/) });
    }
    if (written !== null) expect(written).toBe(slow(json));
  });

  it('grows its buffer for events much larger than the reserve it started with', () => {
    const xml = new XmlTranscoder(16);
    const json = JSON.stringify({
      eventName: 'big',
      eventProps: { list: Array.from({ length: 20_000 }, (_, i) => i) },
    });
    const bytes = Buffer.from(json);
    for (let round = 0; round < 3; round++) expect(xml.event(bytes, 0, bytes.length)).toBe(true);
    expect(xml.out.toString('utf8', 0, xml.used)).toBe(slow(json, 'documented').repeat(3));
  });
});
