/**
 * JSON texts as one block of events, as a spool or staged lines hand them over: `bytes`, after some junk and apart by
 * `separator`, and where each text starts and ends in them.
 */
export function blockOf(texts: string[], junk = 'junk', separator = '\n'): { bytes: Buffer; ranges: Int32Array } {
  const bytes = Buffer.from(`${junk}${texts.map((t) => t + separator).join('')}`);
  const ranges = new Int32Array(2 * texts.length);
  let at = Buffer.byteLength(junk);
  texts.forEach((text, i) => {
    ranges[2 * i] = at;
    at += Buffer.byteLength(text);
    ranges[2 * i + 1] = at;
    at += Buffer.byteLength(separator);
  });
  return { bytes, ranges };
}

/**
 * A JSON string literal for `text`, some characters (a share `escapes` of them, and those that must be) written as
 * escapes, short or `\u` in either case of hex, at random by `next`.
 */
export function jsonString(text: string, next: () => number, escapes = 0.15): string {
  let out = '"';
  // By code point: a pair stays together, a lone surrogate comes alone (and must be escaped).
  for (const c of text) {
    const unit = c.charCodeAt(0);
    const mustEscape = unit < 0x20 || c === '"' || c === '\\' || (c.length === 1 && unit >= 0xd800 && unit <= 0xdfff);
    if (mustEscape || next() < escapes) {
      const short: Record<string, string> = {
        '"': '\\"',
        '\\': '\\\\',
        '\n': '\\n',
        '\r': '\\r',
        '\t': '\\t',
        '\b': '\\b',
        '\f': '\\f',
        '/': '\\/',
      };
      const units = Array.from({ length: c.length }, (_, i) => c.charCodeAt(i).toString(16).padStart(4, '0'));
      out +=
        short[c] && next() < 0.7
          ? short[c]
          : units.map((hex) => `\\u${next() < 0.5 ? hex : hex.toUpperCase()}`).join('');
    } else {
      out += c;
    }
  }
  return out + '"';
}
