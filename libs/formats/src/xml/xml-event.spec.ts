import { xmlEvent, xmlEventsOfBlock, xmlText } from './xml-event';
import { JsonNumberText, mayChangeNumberText, parseKeepingNumberText } from '../json/json-number-text';
import { random } from '../seeded-random.spec-helper';
import { blockOf } from '../json/json-block.spec-helper';
import { SaxesParser } from 'saxes';
import type { XmlLayout } from '@bulk-export/domain';

/** The XML of a block of JSON texts, as text. */
function xmlOfTexts(texts: string[], layout: XmlLayout = 'typed'): string {
  const { bytes, ranges } = blockOf(texts);
  return xmlEventsOfBlock(bytes, ranges, undefined, layout).out.toString('utf8');
}

describe('xml', () => {
  it('escapes markup and replaces characters XML 1.0 forbids', () => {
    expect(xmlText(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    expect(xmlText('bell\u0007 nul\u0000 tab\t nl\n cr\r ok')).toBe('bell\uFFFD nul\uFFFD tab\t nl\n cr&#13; ok');
    expect(xmlText('lone \uD800 surrogate, pair 😀')).toBe('lone \uFFFD surrogate, pair 😀');
    expect(xmlText('\uFFFE\uFFFF')).toBe('\uFFFD\uFFFD');
  });
  it('returns text that needs no escaping unchanged', () => {
    for (const text of ['', 'plain text, 123 (ok) [x] {y} = ; ? /', 'Ünïcødé 日本語 \t\n', '#$%*+-.:@^_`|~'])
      expect(xmlText(text)).toBe(text);
    expect(xmlText('a&b')).toBe('a&amp;b');
    expect(xmlText('emoji 😀 & more')).toBe('emoji 😀 &amp; more');
  });
  it("writes the platform's documented layout: profile and deviceInfo keys as elements, eventProps as entries", () => {
    const event = {
      ts: 20200220130735,
      eventName: 'Export Custom Event',
      profile: { all_identities: 'a@b.c', platform: 'Web', email: 'a@b.c' },
      deviceInfo: { browser: 'Others' },
      eventProps: { 'CT Source': 'API', Category: 'Mens Watch', Price: 59.99 },
    };
    const expected =
      '<Event><ts>20200220130735</ts><eventName>Export Custom Event</eventName>' +
      '<profile><all_identities>a@b.c</all_identities><platform>Web</platform><email>a@b.c</email></profile>' +
      '<deviceInfo><browser>Others</browser></deviceInfo>' +
      '<eventProps><entry><key>CT Source</key><value>API</value></entry><entry><key>Category</key><value>Mens Watch</value></entry>' +
      '<entry><key>Price</key><value>59.99</value></entry></eventProps></Event>\n';
    expect(xmlEvent(event)).toBe(expected);
    expect(xmlOfTexts([JSON.stringify(event)], 'documented')).toBe(expected);
  });
  it('falls back to an entry for a key that is not an XML name, and nests by the rule of the field', () => {
    const event = {
      eventName: 'e',
      ts: 1,
      profile: {
        'first name': 'A',
        'x:y': 1,
        '1st': true,
        xmlns: 'n',
        'é_ü-1.2': 'u',
        nested: { city: 'X', 'zip code': null },
        tags: ['a', { b: 1 }],
      },
      eventProps: { list: [1, null], obj: { k: 'v' } },
    };
    const xml = xmlEvent(event);
    expect(xml).toBe(
      '<Event><ts>1</ts><eventName>e</eventName><profile>' +
        '<entry><key>first name</key><value>A</value></entry><entry><key>x:y</key><value>1</value></entry>' +
        '<entry><key>1st</key><value>true</value></entry><xmlns>n</xmlns><é_ü-1.2>u</é_ü-1.2>' +
        '<nested><city>X</city><entry><key>zip code</key><value></value></entry></nested><tags><item>a</item><item><b>1</b></item></tags></profile>' +
        '<eventProps><entry><key>list</key><value><item>1</item><item></item></value></entry>' +
        '<entry><key>obj</key><value><entry><key>k</key><value>v</value></entry></value></entry></eventProps></Event>\n',
    );
    expect(xmlOfTexts([JSON.stringify(event)], 'documented')).toBe(xml);
    // Well-formed to a strict, namespace-aware parser.
    const parser = new SaxesParser({ xmlns: true });
    let elements = 0;
    parser.on('opentag', () => (elements += 1));
    parser.write(`<?xml version="1.0" encoding="UTF-8"?>\n<Events>\n${xml}</Events>\n`).close();
    expect(elements).toBeGreaterThan(20);
  });
  it('writes a deleted profile with <deleted>true</deleted> after its profile, and nothing of a deleted field in events', () => {
    const profile = { eventName: 'profiles', ts: 1, profile: { identity: 'k1' }, deleted: true };
    expect(xmlEvent(profile, 'documented', 'profiles')).toBe(
      '<Event><ts>1</ts><eventName>profiles</eventName><profile><identity>k1</identity></profile><deleted>true</deleted></Event>\n',
    );
    expect(xmlEvent(profile, 'documented', 'events')).toBe(
      '<Event><ts>1</ts><eventName>profiles</eventName><profile><identity>k1</identity></profile></Event>\n',
    );
  });
  it('writes an event with typed entries for any key (typed layout)', () => {
    expect(
      xmlEvent(
        { eventName: 'A&B', ts: 1, profile: { identity: 'u' }, eventProps: { 'a key<': [1, null], n: { x: true } } },
        'typed',
      ),
    ).toBe(
      '<Event><ts>1</ts><eventName>A&amp;B</eventName><profile><entry><key>identity</key><value type="string">u</value></entry></profile>' +
        '<eventProps><entry><key>a key&lt;</key><value type="array"><item type="number">1</item><item type="null"></item></value></entry>' +
        '<entry><key>n</key><value type="object"><entry><key>x</key><value type="boolean">true</value></entry></value></entry></eventProps></Event>\n',
    );
  });
  it.each([
    [
      'a few events',
      [
        { eventName: 'a', ts: 1 },
        { eventName: 'Ünï<', ts: 2, eventProps: { s: 'x\u0000y' } },
        { eventName: 'c', ts: 3, profile: null },
      ],
    ],
    // XML far bigger than five times the JSON: the output buffer has to grow, more than once.
    [
      'events whose XML outgrows the buffer',
      Array.from({ length: 40 }, (_, i) => ({
        eventName: `e${i}`,
        ts: i,
        eventProps: { a: Array.from({ length: 50 + i * 10 }, () => 1), 日本: 'ü' },
      })),
    ],
  ])(
    'converts a block of events as one buffer, with the size of each event: %s',
    (_, events: Record<string, unknown>[]) => {
      const { bytes, ranges } = blockOf(events.map((e) => JSON.stringify(e)));
      const { out: xml, sizes } = xmlEventsOfBlock(bytes, ranges);
      const expected = events.map((e) => xmlEvent(e, 'documented'));
      expect([...sizes]).toEqual(expected.map((x) => Buffer.byteLength(x)));
      expect(xml.toString('utf8')).toBe(expected.join(''));
    },
  );
});

/** A random JSON number as a producer might spell it: any length, zeros, signs, exponents. */
function numberText(next: () => number): string {
  const digits = (n: number, first = '0123456789') =>
    Array.from(
      { length: n },
      (_, i) => (i === 0 ? first : '0123456789')[Math.floor(next() * (i === 0 ? first.length : 10))],
    ).join('');
  const zeros = () => '0'.repeat(Math.floor(next() * 9));
  const sign = next() < 0.3 ? '-' : '';
  const int = next() < 0.25 ? '0' : digits(1 + Math.floor(next() * 24), '123456789');
  const fraction =
    next() < 0.5
      ? ''
      : `.${next() < 0.3 ? zeros() : ''}${digits(1 + Math.floor(next() * 20))}${next() < 0.2 ? zeros() : ''}`;
  const exponent =
    next() < 0.8
      ? ''
      : `${next() < 0.5 ? 'e' : 'E'}${['', '+', '-'][Math.floor(next() * 3)]}${digits(1 + Math.floor(next() * 3))}`;
  return sign + int + fraction + exponent;
}

describe('xml numbers', () => {
  it('keeps the text of every number as the event spells it, where JSON.parse would change it', () => {
    const event =
      '{"eventName":"n","ts":20261128000015,"profile":{"identity":9007199254740993},"eventProps":{' +
      '"big":9007199254740993,"neg":-9223372036854775807,"u64":18446744073709551615,"huge":123456789012345678901234567890,' +
      '"dec":0.12345678901234567890,"pi":3.141592653589793238462643383279,"one":1.0,"price":12.50,"negZero":-0,"tiny":0.0000001,' +
      '"exp":1e2,"Exp":-2.5E-3,"exp21":1e21,"inf":1e400,"plain":42,"neg":-7.25,' +
      '"list":[9007199254740993, -1.10,{"deep":[12345678901234567890]}],"nested":{"a":{"b":-0.000000000000000000001}},' +
      '"digits":"9007199254740993","sci":"1e2","mixed":"x:1.50,[12345678901234567890"}}';
    const v = (type: string, x: string) => `<value type="${type}">${x}</value>`;
    const e = (k: string, value: string) => `<entry><key>${k}</key>${value}</entry>`;
    const n = (x: string) => v('number', x);
    expect(xmlOfTexts([event])).toBe(
      '<Event><ts>20261128000015</ts><eventName>n</eventName><profile>' +
        e('identity', n('9007199254740993')) +
        '</profile><eventProps>' +
        e('big', n('9007199254740993')) +
        // A key given twice keeps its first place and its last value, as JSON.parse does.
        e('neg', n('-7.25')) +
        e('u64', n('18446744073709551615')) +
        e('huge', n('123456789012345678901234567890')) +
        e('dec', n('0.12345678901234567890')) +
        e('pi', n('3.141592653589793238462643383279')) +
        e('one', n('1.0')) +
        e('price', n('12.50')) +
        e('negZero', n('-0')) +
        e('tiny', n('0.0000001')) +
        e('exp', n('1e2')) +
        e('Exp', n('-2.5E-3')) +
        e('exp21', n('1e21')) +
        e('inf', n('1e400')) +
        e('plain', n('42')) +
        e(
          'list',
          v(
            'array',
            '<item type="number">9007199254740993</item><item type="number">-1.10</item>' +
              `<item type="object">${e('deep', v('array', '<item type="number">12345678901234567890</item>'))}</item>`,
          ),
        ) +
        e('nested', v('object', e('a', v('object', e('b', n('-0.000000000000000000001')))))) +
        e('digits', v('string', '9007199254740993')) +
        e('sci', v('string', '1e2')) +
        e('mixed', v('string', 'x:1.50,[12345678901234567890')) +
        '</eventProps></Event>\n',
    );
  });

  it('writes any JSON number as its text, in any place, next to strings full of digits (seeded fuzz)', () => {
    const next = random(11);
    const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)];
    const space = () => pick(['', '', '', ' ', '\n  ', '\t']);
    // Strings that look like numbers, or like the text around one, and escapes.
    const STRINGS = [
      '9007199254740993',
      '12345678901234567890',
      '1.0',
      '-0',
      '1e2',
      ':1.50',
      ',[0.0000001',
      'a\\"b:12345678901234567',
      '\\u00e9\\n1E5',
      'Ünï 😀',
      '<&>',
      '',
    ];
    const KEYS = ['a', 'b', 'n', 'Ünï', '日本', 'quo\\"te', 'x:1.0', '__proto__', 'constructor', ''];
    /** A JSON text and the XML content of the element holding it. */
    const value = (depth: number): { json: string; xml: string; type: string } => {
      const kind = next();
      if (depth > 3 || kind < 0.5) {
        if (kind < 0.3) {
          const n = numberText(next);
          return { json: n, xml: n, type: 'number' };
        }
        if (kind < 0.45) {
          const s = pick(STRINGS);
          return { json: `"${s}"`, xml: xmlText(JSON.parse(`"${s}"`) as string), type: 'string' };
        }
        const w = pick(['true', 'false', 'null']);
        return { json: w, xml: w === 'null' ? '' : w, type: w === 'null' ? 'null' : 'boolean' };
      }
      if (kind < 0.7) {
        const items = Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
        return {
          json: `[${items.map((i) => space() + i.json + space()).join(',')}]`,
          xml: items.map((i) => `<item type="${i.type}">${i.xml}</item>`).join(''),
          type: 'array',
        };
      }
      // Distinct keys, none an array index: JSON.parse would reorder those.
      const keys = [...new Set(Array.from({ length: Math.floor(next() * 5) }, () => pick(KEYS)))];
      const entries = keys.map((k) => ({ k, v: value(depth + 1) }));
      return {
        json: `{${entries.map(({ k, v }) => `${space()}"${k}"${space()}:${space()}${v.json}${space()}`).join(',')}}`,
        xml: entries
          .map(
            ({ k, v }) =>
              `<entry><key>${xmlText(JSON.parse(`"${k}"`) as string)}</key><value type="${v.type}">${v.xml}</value></entry>`,
          )
          .join(''),
        type: 'object',
      };
    };
    for (let round = 0; round < 100; round++) {
      const events = Array.from({ length: 1 + Math.floor(next() * 10) }, () => {
        const ts = next() < 0.5 ? '20261128000015' : numberText(next);
        const props = value(1);
        return {
          json: `${space()}{"eventName":"e",${space()}"ts":${ts},"eventProps":${props.json}}${space()}`,
          xml: `<Event><ts>${ts}</ts><eventName>e</eventName><eventProps>${props.xml}</eventProps></Event>\n`,
        };
      });
      const texts = events.map((e) => e.json);
      expect([texts, xmlOfTexts(texts)]).toEqual([texts, events.map((e) => e.xml).join('')]);
    }
  });

  it('flags every JSON text with a number that JSON.parse would print differently', () => {
    const next = random(5);
    const missed: string[] = [];
    let changed = 0;
    for (let i = 0; i < 20000; i++) {
      const n = numberText(next);
      if (String(JSON.parse(n)) === n) continue;
      changed += 1;
      for (const text of [`{"a":${n}}`, `{"a": [1,${n}]}`, `[\n\t${n} ]`, `{"a":{"b":"x","c":${n}}}`])
        if (!mayChangeNumberText(Buffer.from(text))) missed.push(text);
    }
    expect(missed).toEqual([]);
    // Both kinds of number were drawn, many times.
    expect(changed).toBeGreaterThan(5000);
    expect(changed).toBeLessThan(19000);
    for (const text of [
      '{"a":1,"b":-2.5,"c":[0,1234567890.12345],"ts":20261128000015,"s":"9007199254740993"}',
      '{"p":0.000001,"q":123456789012345,"id":"3e8a-1.0-00000000000000000001","esc":"\\"1e5"}',
    ]) {
      expect([text, mayChangeNumberText(Buffer.from(text))]).toEqual([text, false]);
    }
  });

  it('parses like JSON.parse, numbers aside: key order, repeated keys, __proto__, escapes', () => {
    const texts = [
      '{"b":1,"2":"two","a":{"1":true,"0":null},"10":[],"b":"again","__proto__":{"x":1},"constructor":"c","toString":[1,{}]}',
      ' { "k\\u00e9y" : "v\\"\\\\\\/\\b\\f\\n\\r\\t\\ud83d\\ude00" , "empty" : { } , "list" : [ ] } ',
      '[1, "x", [true, false, null], {"__proto__": 1, "__proto__": 2}]',
      '"just a string"',
      '-12.5e-3',
    ];
    const plain = (v: unknown): unknown => {
      if (v instanceof JsonNumberText) return Number(v.text);
      if (Array.isArray(v)) return v.map(plain);
      if (v === null || typeof v !== 'object') return v;
      const out = {};
      for (const [k, x] of Object.entries(v))
        Object.defineProperty(out, k, { value: plain(x), enumerable: true, writable: true, configurable: true });
      return out;
    };
    for (const text of texts) {
      const parsed = plain(parseKeepingNumberText(text));
      const expected = JSON.parse(text) as unknown;
      expect(parsed).toEqual(expected);
      expect(JSON.stringify(parsed)).toBe(JSON.stringify(expected));
      if (typeof expected === 'object' && expected !== null)
        expect(Object.getPrototypeOf(parsed)).toBe(Object.getPrototypeOf(expected));
    }
  });

  it.each([
    '',
    '{',
    '{"a":1,}',
    '[1,]',
    '{"a" 1}',
    '{a:1}',
    '01',
    '1.',
    '-',
    '.5',
    '1e',
    '+1',
    'NaN',
    'Infinity',
    'tru',
    '"a',
    '"tab\there"',
    '"\\x"',
    '{"a":1} x',
    '[1 2]',
  ])('rejects invalid JSON as JSON.parse does: %j', (text) => {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(() => parseKeepingNumberText(text)).toThrow(SyntaxError);
  });
});
