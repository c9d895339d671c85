import {
  BACKSLASH,
  CLOSE_ARRAY,
  CLOSE_OBJECT,
  COLON,
  COMMA,
  DIGIT_0,
  DIGIT_9,
  DOT,
  isSpace,
  MINUS,
  OPEN_ARRAY,
  OPEN_OBJECT,
  QUOTE,
} from './json-bytes';

/**
 * Numbers as the producer wrote them. JSON.parse turns a number into a double, which then
 * prints in JavaScript's shortest form: 9007199254740993 becomes 9007199254740992, 1.0
 * becomes 1, 1e2 becomes 100. The JSON format keeps the producer's text byte for byte; the
 * XML format must too. JSON.parse stays the fast path (it is native), and only events that
 * may hold such a number are parsed again by parseKeepingNumberText.
 */

/** A JSON number, as its text in the event. */
export class JsonNumberText {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

/** JSON's number grammar, from the parser's position. */
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Whether JSON.parse may change the text of a number in the JSON text at
 * `json[start…end)` (false: it certainly does not). A number is at risk when it has
 * - 16 or more digits (up to 15 significant digits always survive a double; integers from
 *   1e21 on have 22 digits and print with an exponent),
 * - an exponent,
 * - a fraction ending in 0 (1.0, 12.50),
 * - the form -0 (prints as 0),
 * - a fraction starting with six zeros (0.0000005 prints as 5e-7).
 * One pass over the bytes that skips strings: a string full of digits is no risk. Costs a
 * fraction of JSON.parse; the text must be valid JSON (a broken one may say either).
 */
export function mayChangeNumberText(json: Uint8Array, start = 0, end = json.length): boolean {
  let i = start;
  while (i < end) {
    const b = json[i];
    if (b === QUOTE) {
      i += 1;
      for (;;) {
        const c = json[i];
        if (c === QUOTE || i >= end) break;
        i += c === BACKSLASH ? 2 : 1;
      }
      i += 1;
      continue;
    }
    if (b !== MINUS && (b < DIGIT_0 || b > DIGIT_9)) {
      i += 1;
      continue;
    }
    // A number (outside strings, nothing else starts with - or a digit).
    if (b === MINUS) i += 1;
    const intStart = i;
    while (json[i] >= DIGIT_0 && json[i] <= DIGIT_9) i += 1;
    const intDigits = i - intStart;
    const zeroInt = intDigits === 1 && json[intStart] === DIGIT_0;
    let fractionDigits = 0;
    if (json[i] === DOT) {
      const fractionStart = ++i;
      while (json[i] >= DIGIT_0 && json[i] <= DIGIT_9) i += 1;
      fractionDigits = i - fractionStart;
      if (json[i - 1] === DIGIT_0) return true;
      if (zeroInt && leadingZeros(json, fractionStart) >= 6) return true;
    } else if (zeroInt && b === MINUS) return true;
    if (json[i] === 0x65 || json[i] === 0x45) return true;
    if (intDigits + fractionDigits >= 16) return true;
  }
  return false;
}

function leadingZeros(json: Uint8Array, at: number): number {
  let i = at;
  while (json[i] === DIGIT_0) i += 1;
  return i - at;
}

/**
 * JSON.parse, except that every number is a JsonNumberText. Objects come out as
 * JSON.parse makes them (a key given twice keeps its first place and its last value;
 * `__proto__` is an own key); invalid JSON throws a SyntaxError.
 */
export function parseKeepingNumberText(json: string): unknown {
  return new NumberTextParser(json).parse();
}

class NumberTextParser {
  private at = 0;

  constructor(private readonly text: string) {}

  parse(): unknown {
    const value = this.value();
    this.space();
    if (this.at !== this.text.length) throw this.unexpected();
    return value;
  }

  private space(): void {
    const text = this.text;
    for (;;) {
      const c = text.charCodeAt(this.at);
      if (!isSpace(c)) return;
      this.at += 1;
    }
  }

  private value(): unknown {
    this.space();
    switch (this.text.charCodeAt(this.at)) {
      case QUOTE:
        return this.string();
      case OPEN_OBJECT:
        return this.object();
      case OPEN_ARRAY:
        return this.array();
      case 0x74:
        return this.word('true', true);
      case 0x66:
        return this.word('false', false);
      case 0x6e:
        return this.word('null', null);
      default:
        return this.number();
    }
  }

  private object(): Record<string, unknown> {
    const text = this.text;
    const object: Record<string, unknown> = {};
    this.at += 1;
    this.space();
    if (text.charCodeAt(this.at) === CLOSE_OBJECT) {
      this.at += 1;
      return object;
    }
    for (;;) {
      this.space();
      if (text.charCodeAt(this.at) !== QUOTE) throw this.unexpected();
      const key = this.string();
      this.space();
      if (text.charCodeAt(this.at) !== COLON) throw this.unexpected();
      this.at += 1;
      const value = this.value();
      // An assignment to __proto__ would set the prototype; JSON.parse makes it a key.
      if (key === '__proto__')
        Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
      else object[key] = value;
      this.space();
      const next = text.charCodeAt(this.at++);
      if (next === CLOSE_OBJECT) return object;
      if (next !== COMMA) throw this.unexpected(-1);
    }
  }

  private array(): unknown[] {
    const text = this.text;
    const array: unknown[] = [];
    this.at += 1;
    this.space();
    if (text.charCodeAt(this.at) === CLOSE_ARRAY) {
      this.at += 1;
      return array;
    }
    for (;;) {
      array.push(this.value());
      this.space();
      const next = text.charCodeAt(this.at++);
      if (next === CLOSE_ARRAY) return array;
      if (next !== COMMA) throw this.unexpected(-1);
    }
  }

  /** The string whose opening quote is at `at`; escapes are decoded by JSON.parse. */
  private string(): string {
    const text = this.text;
    const start = this.at + 1;
    let i = start;
    let escaped = false;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        i += 2;
        continue;
      }
      // Control characters must be escaped; NaN is the end of the text.
      if (!(c >= 0x20)) {
        this.at = i;
        throw this.unexpected();
      }
      i += 1;
    }
    this.at = i + 1;
    return escaped ? (JSON.parse(text.slice(start - 1, i + 1)) as string) : text.slice(start, i);
  }

  private number(): JsonNumberText {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (!match) throw this.unexpected();
    this.at += match[0].length;
    return new JsonNumberText(match[0]);
  }

  private word<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.at)) throw this.unexpected();
    this.at += word.length;
    return value;
  }

  private unexpected(offset = 0): SyntaxError {
    const at = this.at + offset;
    return new SyntaxError(
      at < this.text.length ? `Unexpected character in JSON at position ${at}` : 'Unexpected end of JSON input',
    );
  }
}
