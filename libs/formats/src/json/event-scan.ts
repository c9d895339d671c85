import {
  BACKSLASH,
  CLOSE_ARRAY,
  CLOSE_OBJECT,
  COLON,
  COMMA,
  CR,
  DIGIT_0,
  DIGIT_9,
  DOT,
  LF,
  LOWER_E,
  LOWER_U,
  MINUS,
  OPEN_ARRAY,
  OPEN_OBJECT,
  PLUS,
  QUOTE,
  SPACE,
  TAB,
  UPPER_E,
} from './json-bytes';

/** Nesting deeper than this is left to DuckDB (which has no such limit). */
const MAX_DEPTH = 512;

/**
 * Top-level keys the staging looks at, by number; JSON_FIELDS: the order in which a JSON line keeps them
 * (json-lines.ts).
 */
const KEY_OTHER = -1;
const KEY_EVENT_NAME = 0;
const KEY_TS = 1;
// profile, deviceInfo and eventProps are keys 2, 3 and 4: only their order is compared.
const KEYS = ['eventName', 'ts', 'profile', 'deviceInfo', 'eventProps'].map((k) => Buffer.from(k, 'latin1'));
const NAME_HEAD = Buffer.from('{"eventName":"', 'latin1');

/**
 * A fast look, in JavaScript, at the common event message: one strict JSON object (RFC 8259)
 * whose `eventName` is a string, `ts` absent, null, a string or an integer, and `profile`,
 * `deviceInfo`, `eventProps` objects, null or absent. For it `scan` returns true with what the
 * staging needs: the name's and ts's bytes (as DuckDB's json_extract_string gives them) and `cut`.
 *
 * A shortcut, never a second opinion: `scan` returns false for anything it cannot settle exactly
 * as DuckDB's JSON functions would (invalid JSON, a top-level key escaped or repeated, escapes in
 * name or ts, a `\u` surrogate, a ts DuckDB would respell, nesting beyond 512, another type…), and
 * the staging classifies that message in SQL. So the SQL's reasons before the name's checks never
 * apply to a message `scan` accepts.
 *
 * `cut`: for a message json-lines.ts writes as it is (`{"eventName":"<name>",` first, then a subset
 * of ts, profile, deviceInfo, eventProps in that order, once each), the length of that beginning:
 * the line is `{` and the message's bytes from `cut`. 0 otherwise (SQL decides the line).
 */
export class EventScanner {
  nameStart = 0;
  nameEnd = 0;
  /** -1 when ts is absent or null. */
  tsStart = -1;
  tsEnd = -1;
  /** Whether ts is yyyymmddHHMMSS as eventDaySql reads it: then the event's day is its first eight bytes. */
  tsIsDay = false;
  cut = 0;
  private readonly stack = new Uint8Array(MAX_DEPTH);

  scan(b: Uint8Array): boolean {
    const end = b.length;
    this.tsStart = -1;
    this.tsEnd = -1;
    this.cut = 0;
    let seen = 0;
    let i = skipSpace(b, 0, end);
    if (i >= end || b[i] !== OPEN_OBJECT) return false;
    i = skipSpace(b, i + 1, end);
    if (i < end && b[i] === CLOSE_OBJECT) return false;
    // As it is, so far: the message starts with `{"eventName":"`; then the index of the last JSON field kept.
    let asIs = hasHead(b);
    let lastField = KEY_EVENT_NAME;
    for (;;) {
      if (i >= end || b[i] !== QUOTE) return false;
      const keyStart = i + 1;
      i = keyStart;
      while (i < end && b[i] !== QUOTE) {
        const c = b[i];
        if (c === BACKSLASH || c < SPACE) return false;
        i++;
      }
      if (i >= end) return false;
      const key = keyOf(b, keyStart, i);
      i = skipSpace(b, i + 1, end);
      if (i >= end || b[i] !== COLON) return false;
      i = skipSpace(b, i + 1, end);
      if (i >= end) return false;
      if (key !== KEY_OTHER) {
        if ((seen & (1 << key)) !== 0) return false;
        seen |= 1 << key;
      }
      if (key === KEY_OTHER || key === KEY_EVENT_NAME ? key !== KEY_EVENT_NAME || keyStart !== 2 : key <= lastField)
        asIs = false;
      else if (key !== KEY_EVENT_NAME) lastField = key;
      const c = b[i];
      if (key === KEY_EVENT_NAME) {
        if (c !== QUOTE) return false;
        const start = i + 1;
        i = plainStringEnd(b, start, end);
        if (i < 0) return false;
        this.nameStart = start;
        this.nameEnd = i;
        i += 1;
        if (asIs && keyStart === 2) {
          if (i < end && b[i] === COMMA) this.cut = i + 1;
          else asIs = false;
        }
      } else if (key === KEY_TS) {
        if (c === QUOTE) {
          const start = i + 1;
          i = plainStringEnd(b, start, end);
          if (i < 0) return false;
          this.tsStart = start;
          this.tsEnd = i;
          i += 1;
        } else if (c === 0x6e) {
          i = literalEnd(b, i, end, NULL_BYTES);
          if (i < 0) return false;
        } else {
          const start = i;
          i = integerEnd(b, i, end);
          if (i < 0) return false;
          this.tsStart = start;
          this.tsEnd = i;
        }
      } else {
        if (key !== KEY_OTHER && c !== OPEN_OBJECT && c !== 0x6e) return false;
        i = this.valueEnd(b, i, end);
        if (i < 0) return false;
      }
      i = skipSpace(b, i, end);
      if (i >= end) return false;
      if (b[i] === COMMA) {
        i = skipSpace(b, i + 1, end);
        continue;
      }
      if (b[i] !== CLOSE_OBJECT) return false;
      i = skipSpace(b, i + 1, end);
      if (i !== end || (seen & 1) === 0) return false;
      if (!asIs) this.cut = 0;
      this.tsIsDay = this.tsStart >= 0 && isDayTime(b, this.tsStart, this.tsEnd);
      return true;
    }
  }

  /**
   * Where the JSON value at `i` ends, or -1 when it is not strict JSON (or nests too deep, or holds a surrogate
   * escape).
   */
  private valueEnd(b: Uint8Array, i: number, end: number): number {
    const stack = this.stack;
    let depth = 0;
    for (;;) {
      // A value at i.
      if (i >= end) return -1;
      const c = b[i];
      if (c === QUOTE) {
        i = stringEnd(b, i + 1, end);
        if (i < 0) return -1;
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (depth >= MAX_DEPTH) return -1;
        i += 1;
        if (i < end && b[i] <= SPACE) i = skipSpace(b, i, end);
        if (i >= end) return -1;
        if (b[i] === (c === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)) {
          i += 1;
        } else {
          stack[depth++] = c;
          if (c === OPEN_OBJECT) {
            i = this.memberKey(b, i, end);
            if (i < 0) return -1;
          }
          continue;
        }
      } else if (c === 0x74) {
        i = literalEnd(b, i, end, TRUE_BYTES);
      } else if (c === 0x66) {
        i = literalEnd(b, i, end, FALSE_BYTES);
      } else if (c === 0x6e) {
        i = literalEnd(b, i, end, NULL_BYTES);
      } else {
        i = numberEnd(b, i, end);
      }
      if (i < 0) return -1;
      // After a value: close containers, or go on to the next element.
      for (;;) {
        if (depth === 0) return i;
        if (i >= end) return -1;
        if (b[i] <= SPACE) {
          i = skipSpace(b, i, end);
          if (i >= end) return -1;
        }
        const open = stack[depth - 1];
        const d = b[i];
        if (d === COMMA) {
          i += 1;
          if (i < end && b[i] <= SPACE) i = skipSpace(b, i, end);
          if (open === OPEN_OBJECT) {
            i = this.memberKey(b, i, end);
            if (i < 0) return -1;
          }
          break;
        }
        if (d !== (open === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)) return -1;
        depth -= 1;
        i += 1;
      }
    }
  }

  /** A member's key and colon at `i`; returns where its value starts, or -1. */
  private memberKey(b: Uint8Array, i: number, end: number): number {
    if (i >= end || b[i] !== QUOTE) return -1;
    i = stringEnd(b, i + 1, end);
    if (i < 0) return -1;
    if (i < end && b[i] <= SPACE) i = skipSpace(b, i, end);
    if (i >= end || b[i] !== COLON) return -1;
    i += 1;
    return i < end && b[i] <= SPACE ? skipSpace(b, i, end) : i;
  }
}

const TRUE_BYTES = Buffer.from('true', 'latin1');
const FALSE_BYTES = Buffer.from('false', 'latin1');
const NULL_BYTES = Buffer.from('null', 'latin1');

function hasHead(b: Uint8Array): boolean {
  if (b.length < NAME_HEAD.length) return false;
  for (let k = 0; k < NAME_HEAD.length; k++) if (b[k] !== NAME_HEAD[k]) return false;
  return true;
}

function skipSpace(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c !== SPACE && c !== TAB && c !== LF && c !== CR) break;
    i++;
  }
  return i;
}

function keyOf(b: Uint8Array, start: number, end: number): number {
  const length = end - start;
  for (let k = 0; k < KEYS.length; k++) {
    const key = KEYS[k];
    if (key.length !== length) continue;
    let same = true;
    for (let j = 0; j < length; j++) {
      if (b[start + j] !== key[j]) {
        same = false;
        break;
      }
    }
    if (same) return k;
  }
  return KEY_OTHER;
}

/** The closing quote of a string without escapes or control characters that starts at `i`, or -1. */
function plainStringEnd(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c === QUOTE) return i;
    if (c === BACKSLASH || c < SPACE) return -1;
    i++;
  }
  return -1;
}

/**
 * After the closing quote of a strict JSON string whose body starts at `i`, or -1 (a `\u` escape of a surrogate
 * included: DuckDB's reader treats those its own way).
 */
function stringEnd(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (STRING_STOP[c] === 0) {
      i++;
      continue;
    }
    if (c === QUOTE) return i + 1;
    if (c < SPACE) return -1;
    if (c === BACKSLASH) {
      if (i + 1 >= end) return -1;
      const e = b[i + 1];
      if (e === LOWER_U) {
        if (i + 6 > end) return -1;
        let code = 0;
        for (let k = i + 2; k < i + 6; k++) {
          const h = hexValue(b[k]);
          if (h < 0) return -1;
          code = code * 16 + h;
        }
        if (code >= 0xd800 && code <= 0xdfff) return -1;
        i += 6;
        continue;
      }
      // " \ / b f n r t
      if (
        e !== QUOTE &&
        e !== BACKSLASH &&
        e !== 0x2f &&
        e !== 0x62 &&
        e !== 0x66 &&
        e !== 0x6e &&
        e !== 0x72 &&
        e !== 0x74
      )
        return -1;
      i += 2;
      continue;
    }
    i++;
  }
  return -1;
}

/** Bytes that end a string's plain run: the quote, a backslash, control characters. */
const STRING_STOP = new Uint8Array(256);
for (let c = 0; c < SPACE; c++) STRING_STOP[c] = 1;
STRING_STOP[QUOTE] = 1;
STRING_STOP[BACKSLASH] = 1;

function hexValue(c: number): number {
  if (c >= DIGIT_0 && c <= DIGIT_9) return c - DIGIT_0;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

function literalEnd(b: Uint8Array, i: number, end: number, literal: Buffer): number {
  if (i + literal.length > end) return -1;
  for (let k = 0; k < literal.length; k++) if (b[i + k] !== literal[k]) return -1;
  return i + literal.length;
}

/** After a strict JSON number at `i`, or -1. */
function numberEnd(b: Uint8Array, i: number, end: number): number {
  if (i < end && b[i] === MINUS) i++;
  if (i >= end) return -1;
  if (b[i] === DIGIT_0) i++;
  else if (b[i] > DIGIT_0 && b[i] <= DIGIT_9) while (i < end && b[i] >= DIGIT_0 && b[i] <= DIGIT_9) i++;
  else return -1;
  if (i < end && b[i] === DOT) {
    i++;
    const digits = i;
    while (i < end && b[i] >= DIGIT_0 && b[i] <= DIGIT_9) i++;
    if (i === digits) return -1;
  }
  if (i < end && (b[i] === LOWER_E || b[i] === UPPER_E)) {
    i++;
    if (i < end && (b[i] === PLUS || b[i] === MINUS)) i++;
    const digits = i;
    while (i < end && b[i] >= DIGIT_0 && b[i] <= DIGIT_9) i++;
    if (i === digits) return -1;
  }
  return i;
}

/**
 * After an integer ts whose text DuckDB's json_extract_string gives back as written: up
 * to 18 digits, no fraction or exponent, not -0. -1 for anything else (a number DuckDB
 * would respell, or not a number).
 */
function integerEnd(b: Uint8Array, i: number, end: number): number {
  const start = i;
  if (i < end && b[i] === MINUS) i++;
  const digits = i;
  if (i >= end) return -1;
  if (b[i] === DIGIT_0) {
    if (i !== start) return -1;
    i++;
  } else if (b[i] > DIGIT_0 && b[i] <= DIGIT_9) {
    while (i < end && b[i] >= DIGIT_0 && b[i] <= DIGIT_9) i++;
  } else return -1;
  if (i - digits > 18) return -1;
  if (i < end && (b[i] === DOT || b[i] === LOWER_E || b[i] === UPPER_E)) return -1;
  return i;
}

/**
 * Whether bytes [start, end) fully match eventDaySql's yyyymmddHHMMSS:
 * (19|20|21)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])([01]\d|2[0-3])[0-5]\d[0-5]\d.
 */
export function isDayTime(b: Uint8Array, start: number, end: number): boolean {
  if (end - start !== 14) return false;
  for (let k = start; k < end; k++) if (b[k] < DIGIT_0 || b[k] > DIGIT_9) return false;
  const century = twoDigits(b, start);
  const month = twoDigits(b, start + 4);
  const day = twoDigits(b, start + 6);
  return (
    (century === 19 || century === 20 || century === 21) &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= 31 &&
    twoDigits(b, start + 8) <= 23 &&
    b[start + 10] <= 0x35 &&
    b[start + 12] <= 0x35
  );
}

function twoDigits(b: Uint8Array, at: number): number {
  return (b[at] - DIGIT_0) * 10 + b[at + 1] - DIGIT_0;
}
