import type { XmlLayout } from '@bulk-export/domain';
import type { XmlRecords } from './xml-event';
import {
  BACKSLASH,
  CLOSE_ARRAY,
  CLOSE_OBJECT,
  COMMA,
  DIGIT_0,
  DIGIT_9,
  isSpace,
  OPEN_ARRAY,
  OPEN_OBJECT,
  QUOTE,
} from '../json/json-bytes';

/**
 * The `<Event>` element of an event straight from its JSON bytes into an output buffer:
 * no JSON.parse, no string per value, no UTF-8 encoding of JavaScript strings. It writes
 * exactly what xmlEvent() writes for the parsed event (xml-event.ts has the format), and
 * declines, writing nothing, the few events whose JSON.parse result the bytes do not give
 * in one pass: a key given twice in an object (JSON.parse keeps its first place and last
 * value), a key spelled with escapes, a key that is an array index (JavaScript lists those
 * first, in numeric order). The caller converts those the slow way.
 *
 * Text follows xmlText(): & < > " ' and CR become references, and characters XML 1.0
 * forbids (control characters, U+FFFE, U+FFFF, lone surrogates) become U+FFFD. Numbers
 * keep the event's spelling. The input must be valid JSON in valid UTF-8 (staging
 * guarantees both).
 */
export class XmlTranscoder {
  out: Buffer;
  used = 0;
  /** `out` for put(): constants go in four bytes at a time. */
  private view: DataView;
  private src: Uint8Array = new Uint8Array(0);
  private at = 0;
  /** Key hashes of the objects being written, innermost last (a key given twice declines the event). */
  private keys = new Int32Array(256);
  private keyCount = 0;
  /** Where the value of each of the six fields starts in `src` (-1: absent), by field. */
  private readonly places = new Int32Array(6);
  /** How the objects of each field are written (Style), by field. */
  private readonly styles: Int32Array;
  /** Whether `deleted` is a field (profile exports). */
  private readonly profiles: boolean;

  /**
   * `spare`: a buffer to write into (a BlockPool lane's shared memory), when it holds `capacity`; the output moves to
   * a buffer of its own if it outgrows it. `layout` and `records` as xmlEvent() takes them.
   */
  constructor(
    capacity: number,
    spare?: ArrayBufferLike,
    layout: XmlLayout = 'documented',
    records: XmlRecords = 'events',
  ) {
    const typed = layout === 'typed';
    this.styles = Int32Array.from([
      typed ? TYPED : ENTRIES,
      0,
      typed ? TYPED : NAMED,
      typed ? TYPED : NAMED,
      typed ? TYPED : ENTRIES,
      0,
    ]);
    this.profiles = records === 'profiles';
    const size = Math.max(1024, capacity);
    // Never from Node's shared pool: a worker thread hands the whole ArrayBuffer over.
    this.out = spare && spare.byteLength >= size ? Buffer.from(spare) : Buffer.allocUnsafeSlow(size);
    this.view = new DataView(this.out.buffer, this.out.byteOffset, this.out.length);
  }

  /**
   * Appends the element (and a newline) of the event at `src[start…end)`; false, with nothing appended, when declined.
   */
  event(src: Uint8Array, start: number, end: number): boolean {
    // No JSON text grows more than 14 times as XML ("0," becomes <item type="number">0</item>).
    this.reserve(16 * (end - start) + 256);
    const mark = this.used;
    this.src = src;
    this.at = start;
    this.keyCount = 0;
    if (!this.element()) {
      this.used = mark;
      return false;
    }
    if (this.used > this.out.length) throw new Error('XmlTranscoder: output outgrew its reserve');
    return true;
  }

  private element(): boolean {
    const src = this.src;
    // First the places of the five fields: the element has them in its own order.
    const places = this.places.fill(-1);
    this.space();
    if (src[this.at] !== OPEN_OBJECT) return false;
    this.at += 1;
    this.space();
    if (src[this.at] === CLOSE_OBJECT) return false; // no eventName
    for (;;) {
      this.space();
      const keyStart = this.at + 1;
      if (!this.skipString()) return false;
      let field = topField(src, keyStart, this.at - 1);
      if (field === ESCAPED) return false;
      if (field === DELETED && !this.profiles) field = OTHER;
      this.space();
      this.at += 1; // the colon
      this.space();
      if (field !== OTHER) {
        if (places[field] >= 0) return false;
        places[field] = this.at;
      }
      if (!this.skipValue()) return false;
      this.space();
      const b = src[this.at++];
      if (b === CLOSE_OBJECT) break;
      if (b !== COMMA) return false;
    }
    const name = places[NAME];
    if (name < 0 || src[name] !== QUOTE) return false;

    this.put(EVENT_TS);
    if (places[TS] >= 0 && !this.contentAt(places[TS], this.styles[TS])) return false;
    this.put(TS_NAME);
    this.at = name;
    this.string();
    this.put(NAME_END);
    for (const field of OBJECT_FIELDS) {
      if (places[field] < 0) continue;
      if (field === DELETED) {
        if (src[places[field]] === 0x74) this.put(DELETED_TRUE);
        continue;
      }
      this.put(FIELD_OPEN[field]);
      if (!this.contentAt(places[field], this.styles[field])) return false;
      this.put(FIELD_CLOSE[field]);
    }
    this.put(EVENT_END);
    return true;
  }

  /** Appends text (an element converted the slow way) as UTF-8. */
  append(text: string): void {
    // UTF-8 takes at most three bytes per UTF-16 code unit.
    this.reserve(text.length * 3);
    this.used += this.out.write(text, this.used, 'utf8');
  }

  private contentAt(at: number, style: number): boolean {
    this.at = at;
    return this.content(style);
  }

  /** The content of an element holding the value at `at` (xmlContent), objects in `style`. */
  private content(style: number): boolean {
    const src = this.src;
    const b = src[this.at];
    if (b === QUOTE) {
      this.string();
      return true;
    }
    if (b === OPEN_OBJECT) return this.object(style);
    if (b === OPEN_ARRAY) return this.array(style);
    if (b === 0x74) {
      this.put(TRUE);
      this.at += 4;
      return true;
    }
    if (b === 0x66) {
      this.put(FALSE);
      this.at += 5;
      return true;
    }
    if (b === 0x6e) {
      this.at += 4; // null: an empty element
      return true;
    }
    // A number, as spelled.
    const out = this.out;
    let at = this.at;
    let used = this.used;
    for (
      let c = src[at];
      (c >= DIGIT_0 && c <= DIGIT_9) || c === 0x2d || c === 0x2e || c === 0x2b || c === 0x65 || c === 0x45;
      c = src[++at]
    )
      out[used++] = c;
    this.at = at;
    this.used = used;
    return true;
  }

  private object(style: number): boolean {
    const src = this.src;
    const base = this.keyCount;
    // Which of 64 buckets this object's key hashes fell in: a key given twice is looked for only on a hit.
    let bucketsLow = 0;
    let bucketsHigh = 0;
    this.at += 1;
    this.space();
    if (src[this.at] === CLOSE_OBJECT) {
      this.at += 1;
      return true;
    }
    const valueOpen = style === TYPED ? VALUE_OPEN_TYPED : VALUE_OPEN;
    for (;;) {
      this.space();
      // The key: no escapes, not an array index, not given before in this object.
      const keyStart = this.at + 1;
      let at = keyStart;
      let hash = 0;
      let digits = true;
      let ascii = true;
      for (let c = src[at]; c !== QUOTE; c = src[++at]) {
        if (c === BACKSLASH) return false;
        hash = (Math.imul(hash, 31) + c) | 0;
        if (c < DIGIT_0 || c > DIGIT_9) digits = false;
        if (c >= 0x80) ascii = false;
      }
      const length = at - keyStart;
      if (digits && length > 0 && length <= 10 && (length === 1 || src[keyStart] !== DIGIT_0)) return false;
      // A key named in characters beyond ASCII: whether it is an XML name is left to the slow path.
      if (style === NAMED && !ascii) return false;
      const bucket = hash >>> 26;
      const bit = 1 << (bucket & 31);
      const seen = bucket < 32 ? bucketsLow & bit : bucketsHigh & bit;
      if (seen !== 0) {
        for (let k = base; k < this.keyCount; k++) if (this.keys[k] === hash) return false;
      } else if (bucket < 32) bucketsLow |= bit;
      else bucketsHigh |= bit;
      this.pushKey(hash);
      this.at = at + 1;
      this.space();
      this.at += 1; // the colon
      this.space();
      if (style === NAMED && isAsciiName(src, keyStart, at)) {
        this.out[this.used++] = LT;
        this.copy(keyStart, at);
        this.out[this.used++] = GT;
        if (!this.content(style)) return false;
        this.put(CLOSE_TAG);
        this.copy(keyStart, at);
        this.out[this.used++] = GT;
      } else {
        this.put(ENTRY_KEY);
        this.text(keyStart, at);
        this.put(style === TYPED ? valueOpen[typeAt(src[this.at])] : valueOpen[0]);
        if (!this.content(style)) return false;
        this.put(VALUE_END);
      }
      this.space();
      const b = src[this.at++];
      if (b === CLOSE_OBJECT) break;
      if (b !== COMMA) return false;
    }
    this.keyCount = base;
    return true;
  }

  /** Copies `src[start…end)` (an ASCII name) as it is. */
  private copy(start: number, end: number): void {
    const out = this.out;
    const src = this.src;
    let used = this.used;
    for (let at = start; at < end; at++) out[used++] = src[at];
    this.used = used;
  }

  private array(style: number): boolean {
    const src = this.src;
    this.at += 1;
    this.space();
    if (src[this.at] === CLOSE_ARRAY) {
      this.at += 1;
      return true;
    }
    for (;;) {
      this.space();
      this.put(style === TYPED ? ITEM_OPEN_TYPED[typeAt(src[this.at])] : ITEM_OPEN);
      if (!this.content(style)) return false;
      this.put(ITEM_END);
      this.space();
      const b = src[this.at++];
      if (b === CLOSE_ARRAY) return true;
      if (b !== COMMA) return false;
    }
  }

  /** The JSON string at `at`, decoded and escaped as XML text. */
  private string(): void {
    const src = this.src;
    let at = this.at + 1;
    for (;;) {
      const start = at;
      let c = src[at];
      while (c !== QUOTE && c !== BACKSLASH) c = src[++at];
      this.text(start, at);
      if (c === QUOTE) break;
      at = this.escape(at);
    }
    this.at = at + 1;
  }

  /** Raw bytes `src[start…end)` (no escapes) as XML text. */
  private text(start: number, end: number): void {
    const src = this.src;
    const out = this.out;
    let used = this.used;
    for (let at = start; at < end; at++) {
      const c = src[at];
      if (PLAIN[c] === 1) out[used++] = c;
      else if (c < 0x80) used = putAt(out, used, ASCII_TEXT[c]);
      else if (notXmlChar(src, at)) {
        used = putAt(out, used, REPLACEMENT);
        at += 2;
      } else out[used++] = c;
    }
    this.used = used;
  }

  /** Writes the escape at `src[at]` (a backslash) as XML text; returns the position after it. */
  private escape(at: number): number {
    const src = this.src;
    const e = src[at + 1];
    if (e !== 0x75) {
      // \" \\ \/ \b \f \n \r \t
      const unit =
        e === 0x62 ? 0x08 : e === 0x66 ? 0x0c : e === 0x6e ? 0x0a : e === 0x72 ? 0x0d : e === 0x74 ? 0x09 : e;
      this.unit(unit);
      return at + 2;
    }
    const unit = hex4(src, at + 2);
    if (unit >= 0xd800 && unit <= 0xdbff && src[at + 6] === BACKSLASH && src[at + 7] === 0x75) {
      const low = hex4(src, at + 8);
      if (low >= 0xdc00 && low <= 0xdfff) {
        const point = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
        const out = this.out;
        out[this.used++] = 0xf0 | (point >> 18);
        out[this.used++] = 0x80 | ((point >> 12) & 0x3f);
        out[this.used++] = 0x80 | ((point >> 6) & 0x3f);
        out[this.used++] = 0x80 | (point & 0x3f);
        return at + 12;
      }
    }
    this.unit(unit);
    return at + 6;
  }

  /** One UTF-16 code unit that is not part of a pair, as XML text. */
  private unit(unit: number): void {
    if (unit < 0x80) {
      this.used = putAt(this.out, this.used, ASCII_TEXT[unit]);
    } else if (unit < 0x800) {
      this.out[this.used++] = 0xc0 | (unit >> 6);
      this.out[this.used++] = 0x80 | (unit & 0x3f);
    } else if ((unit >= 0xd800 && unit <= 0xdfff) || unit === 0xfffe || unit === 0xffff) {
      this.used = putAt(this.out, this.used, REPLACEMENT);
    } else {
      this.out[this.used++] = 0xe0 | (unit >> 12);
      this.out[this.used++] = 0x80 | ((unit >> 6) & 0x3f);
      this.out[this.used++] = 0x80 | (unit & 0x3f);
    }
  }

  private space(): void {
    const src = this.src;
    while (isSpace(src[this.at])) this.at += 1;
  }

  private skipString(): boolean {
    const src = this.src;
    if (src[this.at] !== QUOTE) return false;
    let at = this.at + 1;
    for (let c = src[at]; c !== QUOTE; c = src[at]) at += c === BACKSLASH ? 2 : 1;
    this.at = at + 1;
    return true;
  }

  /** Moves past the value at `at` (valid JSON). */
  private skipValue(): boolean {
    const src = this.src;
    const b = src[this.at];
    if (b === QUOTE) return this.skipString();
    if (b !== OPEN_OBJECT && b !== OPEN_ARRAY) {
      // number, true, false, null
      let c = src[this.at];
      while (c !== COMMA && c !== CLOSE_OBJECT && c !== CLOSE_ARRAY && !isSpace(c) && c !== undefined)
        c = src[++this.at];
      return true;
    }
    let depth = 0;
    for (;;) {
      const c = src[this.at];
      if (c === QUOTE) {
        this.skipString();
        continue;
      }
      this.at += 1;
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth += 1;
      else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        depth -= 1;
        if (depth === 0) return true;
      } else if (c === undefined) return false;
    }
  }

  private pushKey(hash: number): void {
    if (this.keyCount === this.keys.length) {
      const more = new Int32Array(this.keys.length * 2);
      more.set(this.keys);
      this.keys = more;
    }
    this.keys[this.keyCount++] = hash;
  }

  /** Writes a constant (markup). */
  private put(constant: Constant): void {
    const view = this.view;
    const words = constant.words;
    let used = this.used;
    for (let i = 0; i < words.length; i++, used += 4) view.setInt32(used, words[i], true);
    const tail = constant.tail;
    for (let i = 0; i < tail.length; i++) view.setUint8(used++, tail[i]);
    this.used = used;
  }

  private reserve(bytes: number): void {
    if (this.out.length - this.used >= bytes) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.out.length * 2, this.used + bytes));
    this.out.copy(bigger, 0, 0, this.used);
    this.out = bigger;
    this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.length);
  }
}

function putAt(out: Uint8Array, used: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) out[used + i] = bytes[i];
  return used + bytes.length;
}

/** Whether the byte 0xEF at `src[at]` starts U+FFFE or U+FFFF, which are not XML characters. */
function notXmlChar(src: Uint8Array, at: number): boolean {
  return src[at + 1] === 0xbf && (src[at + 2] === 0xbe || src[at + 2] === 0xbf);
}

function hex4(src: Uint8Array, at: number): number {
  return (
    (hexDigit(src[at]) << 12) | (hexDigit(src[at + 1]) << 8) | (hexDigit(src[at + 2]) << 4) | hexDigit(src[at + 3])
  );
}

function hexDigit(c: number): number {
  return c <= DIGIT_9 ? c - DIGIT_0 : (c | 0x20) - 0x57;
}

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));

/** Markup as little-endian 32-bit words and the bytes after the last whole word: fewer stores than byte by byte. */
interface Constant {
  words: Int32Array;
  tail: Uint8Array;
}

function constant(text: string): Constant {
  const b = bytes(text);
  const words = new Int32Array(b.length >> 2);
  for (let i = 0; i < words.length; i++)
    words[i] = b[4 * i] | (b[4 * i + 1] << 8) | (b[4 * i + 2] << 16) | (b[4 * i + 3] << 24);
  return { words, tail: b.subarray(4 * words.length) };
}

const TS = 0;
const NAME = 1;
const PROFILE = 2;
const DEVICE_INFO = 3;
const EVENT_PROPS = 4;
const DELETED = 5;
const OTHER = -1;
const ESCAPED = -2;
const TOP_FIELDS: [Uint8Array, number][] = [
  [bytes('ts'), TS],
  [bytes('eventName'), NAME],
  [bytes('profile'), PROFILE],
  [bytes('deviceInfo'), DEVICE_INFO],
  [bytes('eventProps'), EVENT_PROPS],
  [bytes('deleted'), DELETED],
];
/** The fields written after the name, in the element's order, each only when the event has it. */
const OBJECT_FIELDS = [PROFILE, DELETED, DEVICE_INFO, EVENT_PROPS];

/** How an object's keys become markup (xml-event.ts): entries with types, entries, or elements named by the keys. */
const TYPED = 0;
const ENTRIES = 1;
const NAMED = 2;

/**
 * Which of the five fields the top-level key at `src[start…end)` names (OTHER: another key; ESCAPED: spelled with an
 * escape).
 */
function topField(src: Uint8Array, start: number, end: number): number {
  for (let at = start; at < end; at++) if (src[at] === BACKSLASH) return ESCAPED;
  for (const [name, field] of TOP_FIELDS) {
    if (name.length !== end - start) continue;
    let same = true;
    for (let i = 0; i < name.length && same; i++) same = src[start + i] === name[i];
    if (same) return field;
  }
  return OTHER;
}

const EVENT_TS = constant('<Event><ts>');
const TS_NAME = constant('</ts><eventName>');
const NAME_END = constant('</eventName>');
const FIELD_OPEN: Constant[] = [];
const FIELD_CLOSE: Constant[] = [];
for (const [field, name] of [
  [PROFILE, 'profile'],
  [DEVICE_INFO, 'deviceInfo'],
  [EVENT_PROPS, 'eventProps'],
] as const) {
  FIELD_OPEN[field] = constant(`<${name}>`);
  FIELD_CLOSE[field] = constant(`</${name}>`);
}
const EVENT_END = constant('</Event>\n');
const DELETED_TRUE = constant('<deleted>true</deleted>');
const ENTRY_KEY = constant('<entry><key>');
const VALUE_END = constant('</value></entry>');
const CLOSE_TAG = constant('</');
const LT = 0x3c;
const GT = 0x3e;
const ITEM_END = constant('</item>');
const TRUE = constant('true');
const FALSE = constant('false');
const REPLACEMENT = bytes('\uFFFD');

const TYPES = ['string', 'number', 'boolean', 'null', 'object', 'array'];
const VALUE_OPEN_TYPED = TYPES.map((t) => constant(`</key><value type="${t}">`));
const VALUE_OPEN = [constant('</key><value>')];
const ITEM_OPEN_TYPED = TYPES.map((t) => constant(`<item type="${t}">`));
const ITEM_OPEN = constant('<item>');

/** Whether the ASCII key `src[start…end)` is an XML name (NCName): a letter or `_`, then letters, digits, `_ - .`. */
function isAsciiName(src: Uint8Array, start: number, end: number): boolean {
  if (start === end) return false;
  const first = src[start] | 0x20;
  if (!((first >= 0x61 && first <= 0x7a) || src[start] === 0x5f)) return false;
  for (let at = start + 1; at < end; at++) {
    const c = src[at];
    const lower = c | 0x20;
    if (!((lower >= 0x61 && lower <= 0x7a) || (c >= DIGIT_0 && c <= DIGIT_9) || c === 0x5f || c === 0x2d || c === 0x2e))
      return false;
  }
  return true;
}

/** The index in TYPES of the JSON value starting with byte `c`. */
function typeAt(c: number): number {
  if (c === QUOTE) return 0;
  if (c === OPEN_OBJECT) return 4;
  if (c === OPEN_ARRAY) return 5;
  if (c === 0x74 || c === 0x66) return 2;
  if (c === 0x6e) return 3;
  return 1;
}

/** Bytes written as they are: XML characters except & < > " ' CR; bytes of multi-byte characters are checked apart. */
const PLAIN = new Uint8Array(256);
/** What an ASCII character becomes in XML text. */
const ASCII_TEXT: Uint8Array[] = [];
for (let c = 0; c < 0x80; c++) {
  const escaped: Record<number, string> = {
    0x26: '&amp;',
    0x3c: '&lt;',
    0x3e: '&gt;',
    0x22: '&quot;',
    0x27: '&apos;',
    0x0d: '&#13;',
  };
  const plain = (c >= 0x20 || c === 0x09 || c === 0x0a) && escaped[c] === undefined;
  PLAIN[c] = plain ? 1 : 0;
  ASCII_TEXT.push(escaped[c] !== undefined ? bytes(escaped[c]) : plain ? new Uint8Array([c]) : REPLACEMENT);
}
// Continuation and lead bytes of multi-byte characters, except 0xEF (U+FFFE and U+FFFF start with it).
for (let c = 0x80; c < 0x100; c++) PLAIN[c] = c === 0xef ? 0 : 1;
