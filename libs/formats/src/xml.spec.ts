import { xmlEvent, xmlEventsOfBlock, xmlText } from './xml';

describe('xml', () => {
  it('escapes markup and replaces characters XML 1.0 forbids', () => {
    expect(xmlText(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    expect(xmlText('bell\u0007 nul\u0000 tab\t nl\n cr\r ok')).toBe('bell\uFFFD nul\uFFFD tab\t nl\n cr&#13; ok');
    expect(xmlText('lone \uD800 surrogate, pair 😀')).toBe('lone \uFFFD surrogate, pair 😀');
    expect(xmlText('\uFFFE\uFFFF')).toBe('\uFFFD\uFFFD');
  });
  it('returns text that needs no escaping unchanged', () => {
    for (const text of ['', 'plain text, 123 (ok) [x] {y} = ; ? /', 'Ünïcødé 日本語 \t\n', '#$%*+-.:@^_`|~']) expect(xmlText(text)).toBe(text);
    expect(xmlText('a&b')).toBe('a&amp;b');
    expect(xmlText('emoji 😀 & more')).toBe('emoji 😀 &amp; more');
  });
  it('writes an event with typed entries for any key', () => {
    expect(xmlEvent({ eventName: 'A&B', ts: 1, profile: { identity: 'u' }, eventProps: { 'a key<': [1, null], n: { x: true } } })).toBe(
      '<Event><ts>1</ts><eventName>A&amp;B</eventName><profile><entry><key>identity</key><value type="string">u</value></entry></profile>' +
        '<eventProps><entry><key>a key&lt;</key><value type="array"><item type="number">1</item><item type="null"></item></value></entry>' +
        '<entry><key>n</key><value type="object"><entry><key>x</key><value type="boolean">true</value></entry></value></entry></eventProps></Event>\n',
    );
  });
  it.each([
    ['a few events', [{ eventName: 'a', ts: 1 }, { eventName: 'Ünï<', ts: 2, eventProps: { s: 'x\u0000y' } }, { eventName: 'c', ts: 3, profile: null }]],
    // XML far bigger than five times the JSON: the output buffer has to grow, more than once.
    ['events whose XML outgrows the buffer', Array.from({ length: 40 }, (_, i) => ({ eventName: `e${i}`, ts: i, eventProps: { a: Array.from({ length: 50 + i * 10 }, () => 1), 日本: 'ü' } }))],
  ])('converts a block of events as one buffer, with the size of each event: %s', (_, events: Record<string, unknown>[]) => {
    const texts = events.map((e) => JSON.stringify(e));
    const bytes = Buffer.from(`junk${texts.join('\n')}\n`);
    const ranges: number[] = [];
    let at = 4;
    for (const t of texts) {
      ranges.push(at, at + Buffer.byteLength(t));
      at += Buffer.byteLength(t) + 1;
    }
    const { xml, sizes } = xmlEventsOfBlock(bytes, Int32Array.from(ranges));
    const expected = events.map((e) => xmlEvent(e));
    expect([...sizes]).toEqual(expected.map((x) => Buffer.byteLength(x)));
    expect(xml.toString('utf8')).toBe(expected.join(''));
  });
});
