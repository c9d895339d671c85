/**
 * The XML format, written by our own streaming writer: one well-formed document per file,
 * `<Events>` of `<Event><ts/><eventName/><profile/><deviceInfo/><eventProps/></Event>`; no file is
 * built in memory. Two layouts (XmlLayout):
 * - `documented`, the platform's own: `profile` and `deviceInfo` hold one element per key
 *   (`<email>a@b.c</email>`), or `<entry><key>k</key><value>v</value></entry>` for a key that is
 *   not an XML NCName; `eventProps` holds one entry per property. Nested objects follow their
 *   field's rule; an array holds one `<item>` per value.
 * - `typed`: every object holds entries and every array items, each with `type` = string, number,
 *   boolean, null, object or array.
 *
 * Null is an empty element; a deleted profile carries `<deleted>true</deleted>`. Text is escaped
 * (& < > " ', CR as &#13;), characters XML 1.0 forbids become U+FFFD, and numbers keep the
 * event's spelling (json-number-text.ts).
 */
import { JsonNumberText, mayChangeNumberText, parseKeepingNumberText } from '../json/json-number-text';
import type { XmlLayout } from '@bulk-export/domain';
import { XmlTranscoder } from './xml-transcoder';
import type { EncodedBlock } from '../chunking/encoded-blocks';

export const XML_HEADER = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<Events>\n', 'utf8');
export const XML_FOOTER = Buffer.from('</Events>\n', 'utf8');

// Everything outside XML 1.0's Char production, and lone surrogates.
const FORBIDDEN = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
// A carriage return is written as a character reference: parsers turn a literal CR into LF.
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\r': '&#13;',
};

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

// XML 1.0's NameStartChar and NameChar without ':' (an NCName: namespace-aware parsers take it too).
const NAME_START =
  'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
// The class holds combining marks (U+0300–U+036F) on their own, as the XML grammar lists them.
// eslint-disable-next-line no-misleading-character-class
const XML_NAME = new RegExp(`^[${NAME_START}][${NAME_CHAR}]*$`, 'u');

/** Whether `key` can be an element's name (an NCName). */
export function isXmlName(key: string): boolean {
  return XML_NAME.test(key);
}

/** How an object's keys become markup: as entries (typed or not), or as elements named by the keys. */
type Style = 'typed' | 'entries' | 'named';

/** The content of an element holding `value`, objects written in `style`. */
function xmlContent(value: unknown, style: Style): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return xmlText(value);
  if (typeof value !== 'object') return String(value);
  if (value instanceof JsonNumberText) return value.text;
  let out = '';
  if (Array.isArray(value)) {
    for (const v of value)
      out +=
        style === 'typed'
          ? `<item type="${typeOf(v)}">${xmlContent(v, style)}</item>`
          : `<item>${xmlContent(v, style)}</item>`;
    return out;
  }
  for (const k in value) {
    const v = (value as Record<string, unknown>)[k];
    if (style === 'typed')
      out += `<entry><key>${xmlText(k)}</key><value type="${typeOf(v)}">${xmlContent(v, style)}</value></entry>`;
    else if (style === 'named' && isXmlName(k)) out += `<${k}>${xmlContent(v, style)}</${k}>`;
    else out += `<entry><key>${xmlText(k)}</key><value>${xmlContent(v, style)}</value></entry>`;
  }
  return out;
}

/**
 * One `<Event>` element (with a newline) for an event as staged (parsed; numbers may be
 * JsonNumberText). `deleted` (profile exports) is written after the profile when true.
 */
export function xmlEvent(
  event: Record<string, unknown>,
  layout: XmlLayout = 'documented',
  records: XmlRecords = 'events',
): string {
  const typed = layout === 'typed';
  let out = `<Event><ts>${xmlContent(event.ts, typed ? 'typed' : 'entries')}</ts><eventName>${xmlText(String(event.eventName))}</eventName>`;
  if (event.profile !== undefined) out += `<profile>${xmlContent(event.profile, typed ? 'typed' : 'named')}</profile>`;
  if (records === 'profiles' && event.deleted === true) out += '<deleted>true</deleted>';
  if (event.deviceInfo !== undefined)
    out += `<deviceInfo>${xmlContent(event.deviceInfo, typed ? 'typed' : 'named')}</deviceInfo>`;
  if (event.eventProps !== undefined)
    out += `<eventProps>${xmlContent(event.eventProps, typed ? 'typed' : 'entries')}</eventProps>`;
  return out + '</Event>\n';
}

/** Whether a group holds events or a profile export's profiles (which may carry `deleted`). */
export type XmlRecords = 'events' | 'profiles';

/**
 * The `<Event>` elements of a block of events (JSON texts at `bytes[ranges[2i]…ranges[2i+1])`),
 * as one buffer, and each element's size. Each event is transcoded from its bytes
 * (XmlTranscoder); the few it declines (a key given twice, a key with escapes or that is an
 * array index) are parsed and written by xmlEvent(), with the same result. `spare`: a
 * buffer to write into (a BlockPool lane's shared memory), used when it holds five times the block; the XML lies in
 * it unless it outgrew it.
 */
export function xmlEventsOfBlock(
  bytes: Uint8Array,
  ranges: Int32Array,
  spare?: ArrayBufferLike,
  layout: XmlLayout = 'documented',
  records: XmlRecords = 'events',
): EncodedBlock {
  const count = ranges.length / 2;
  const sizes = new Int32Array(count);
  // The XML of an event is about four times its JSON; the buffer grows when that is short.
  const xml = new XmlTranscoder(bytes.byteLength * 5, spare, layout, records);
  for (let i = 0; i < count; i++) {
    const start = ranges[2 * i];
    const end = ranges[2 * i + 1];
    const before = xml.used;
    if (!transcoded(xml, bytes, start, end)) {
      xml.used = before;
      xml.append(slowXmlEvent(bytes, start, end, layout, records));
    }
    sizes[i] = xml.used - before;
  }
  return { out: xml.out.subarray(0, xml.used), sizes };
}

/**
 * XmlTranscoder.event(), except that an event nested deeper than its recursion goes (the
 * transcoder takes more stack per level than the slow path) is declined, not fatal.
 */
function transcoded(xml: XmlTranscoder, bytes: Uint8Array, start: number, end: number): boolean {
  try {
    return xml.event(bytes, start, end);
  } catch (e) {
    // By name: a stack overflow inside a builtin is thrown from that builtin's realm (Jest runs this code in another).
    if ((e as Error | undefined)?.name === 'RangeError') return false;
    throw e;
  }
}

/** xmlEvent() of the event at `bytes[start…end)`, through JSON.parse (numbers keep their text). */
export function slowXmlEvent(
  bytes: Uint8Array,
  start: number,
  end: number,
  layout: XmlLayout = 'documented',
  records: XmlRecords = 'events',
): string {
  const json = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8', start, end);
  return xmlEvent(
    (mayChangeNumberText(bytes, start, end) ? parseKeepingNumberText(json) : JSON.parse(json)) as Record<
      string,
      unknown
    >,
    layout,
    records,
  );
}
