import { xmlEvent, xmlText } from './xml';

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
});
