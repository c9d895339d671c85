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
