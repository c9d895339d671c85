/**
 * The XML format, written by our own streaming writer: one well-formed document per file,
 *
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <Events>
 *     <Event><ts>…</ts><eventName>…</eventName><profile>…</profile><deviceInfo>…</deviceInfo><eventProps>…</eventProps></Event>
 *   </Events>
 *
 * Objects (profile, deviceInfo, eventProps and nested ones) hold one
 * `<entry><key>k</key><value type="…">v</value></entry>` per property, so any key is
 * allowed; arrays hold `<item type="…">` elements. `type` is string, number, boolean,
 * null, object or array. Text is escaped (& < > " ', and CR as &#13;) and characters XML 1.0 forbids are
 * replaced by U+FFFD. Numbers are written as the event spells them (see json-number-text.ts).
 * Each event becomes one element; no file is built in memory.
 */
import { JsonNumberText, mayChangeNumberText, parseKeepingNumberText } from './json-number-text';
import { XmlTranscoder } from './xml-transcoder';

export const XML_HEADER = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<Events>\n', 'utf8');
export const XML_FOOTER = Buffer.from('</Events>\n', 'utf8');

// Everything outside XML 1.0's Char production, and lone surrogates.
const FORBIDDEN = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
// A carriage return is written as a character reference: parsers turn a literal CR into LF.
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' };

// Text that needs no change: XML characters of the Basic Multilingual Plane except & < > " ' CR.
const PLAIN = /^[\t\n\u0020\u0021\u0023-\u0025\u0028-\u003b\u003d\u003f-\uD7FF\uE000-\uFFFD]*$/;

export function xmlText(value: string): string {
  if (PLAIN.test(value)) return value;
  return value.replace(FORBIDDEN, '\uFFFD').replace(/[&<>"'\r]/g, (c) => ESCAPES[c]);
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof JsonNumberText) return 'number';
  return typeof value === 'object' ? 'object' : typeof value;
}

/** The content of an element holding `value`. */
function xmlContent(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return xmlText(value);
  if (typeof value !== 'object') return String(value);
  if (value instanceof JsonNumberText) return value.text;
  let out = '';
  if (Array.isArray(value)) {
    for (const v of value) out += `<item type="${typeOf(v)}">${xmlContent(v)}</item>`;
    return out;
  }
  for (const k in value) {
    const v = (value as Record<string, unknown>)[k];
    out += `<entry><key>${xmlText(k)}</key><value type="${typeOf(v)}">${xmlContent(v)}</value></entry>`;
  }
  return out;
}

/** One `<Event>` element (with a newline) for an event as staged (parsed; numbers may be JsonNumberText). */
export function xmlEvent(event: Record<string, unknown>): string {
  let out = `<Event><ts>${xmlContent(event.ts)}</ts><eventName>${xmlText(String(event.eventName))}</eventName>`;
  if (event.profile !== undefined) out += `<profile>${xmlContent(event.profile)}</profile>`;
  if (event.deviceInfo !== undefined) out += `<deviceInfo>${xmlContent(event.deviceInfo)}</deviceInfo>`;
  if (event.eventProps !== undefined) out += `<eventProps>${xmlContent(event.eventProps)}</eventProps>`;
  return out + '</Event>\n';
}

/** XML of events as one buffer, and each event's size in it. */
export interface XmlBlock {
  xml: Buffer;
  sizes: Int32Array;
}

/**
 * The `<Event>` elements of a block of events (JSON texts at `bytes[ranges[2i]…ranges[2i+1])`),
 * as one buffer, and each element's size. Each event is transcoded from its bytes
 * (XmlTranscoder); the few it declines (a key given twice, a key with escapes or that is an
 * array index) are parsed and written by xmlEvent(), with the same result. `spare`: a
 * buffer to write into, from a block already written (fewer fresh buffers, less garbage
 * collection).
 */
export function xmlEventsOfBlock(bytes: Uint8Array, ranges: Int32Array, spare?: ArrayBuffer): XmlBlock {
  const count = ranges.length / 2;
  const sizes = new Int32Array(count);
  // The XML of an event is about four times its JSON; the buffer grows when that is short.
  const xml = new XmlTranscoder(bytes.byteLength * 5, spare);
  for (let i = 0; i < count; i++) {
    const start = ranges[2 * i];
    const end = ranges[2 * i + 1];
    const before = xml.used;
    if (!transcoded(xml, bytes, start, end)) {
      xml.used = before;
      xml.append(slowXmlEvent(bytes, start, end));
    }
    sizes[i] = xml.used - before;
  }
  return { xml: xml.out.subarray(0, xml.used), sizes };
}

/**
 * XmlTranscoder.event(), except that an event nested deeper than its recursion goes (the
 * transcoder takes more stack per level than the slow path) is declined, not fatal.
 */
function transcoded(xml: XmlTranscoder, bytes: Uint8Array, start: number, end: number): boolean {
  try {
    return xml.event(bytes, start, end);
  } catch (e) {
    if (e instanceof RangeError) return false;
    throw e;
  }
}

/** xmlEvent() of the event at `bytes[start…end)`, through JSON.parse (numbers keep their text). */
export function slowXmlEvent(bytes: Uint8Array, start: number, end: number): string {
  const json = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8', start, end);
  return xmlEvent((mayChangeNumberText(bytes, start, end) ? parseKeepingNumberText(json) : JSON.parse(json)) as Record<string, unknown>);
}
