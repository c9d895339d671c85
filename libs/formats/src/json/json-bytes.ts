/** The bytes (and UTF-16 code units) of JSON's syntax, for the scanners that read JSON text without JSON.parse. */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const OPEN_OBJECT = 0x7b;
export const CLOSE_OBJECT = 0x7d;
export const OPEN_ARRAY = 0x5b;
export const CLOSE_ARRAY = 0x5d;
export const MINUS = 0x2d;
export const DOT = 0x2e;
export const DIGIT_0 = 0x30;
export const DIGIT_9 = 0x39;
export const SPACE = 0x20;
export const TAB = 0x09;
export const LF = 0x0a;
export const CR = 0x0d;
export const PLUS = 0x2b;
export const LOWER_E = 0x65;
export const UPPER_E = 0x45;
export const LOWER_U = 0x75;

/** JSON's whitespace: space, line feed, carriage return, tab. */
export function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/**
 * After the closing quote of the string whose opening quote is at `at`, in valid JSON text; -1 when the bytes end
 * first.
 */
export function afterString(bytes: Uint8Array, at: number): number {
  let i = at + 1;
  for (;;) {
    const b = bytes[i];
    if (b === QUOTE) return i + 1;
    if (b === undefined) return -1;
    i += b === BACKSLASH ? 2 : 1;
  }
}

/** After the value (of any kind) that starts at `at`, in valid JSON text; -1 when the bytes end first. */
export function afterValue(bytes: Uint8Array, at: number): number {
  const first = bytes[at];
  if (first === QUOTE) return afterString(bytes, at);
  let i = at;
  if (first !== OPEN_OBJECT && first !== OPEN_ARRAY) {
    // A number, true, false or null: up to the next delimiter.
    let b = first;
    while (b !== undefined && b !== COMMA && b !== CLOSE_OBJECT && b !== CLOSE_ARRAY && !isSpace(b)) b = bytes[++i];
    return i;
  }
  let depth = 0;
  for (;;) {
    const b = bytes[i];
    if (b === undefined) return -1;
    if (b === QUOTE) {
      i = afterString(bytes, i);
      if (i < 0) return -1;
      continue;
    }
    i += 1;
    if (b === OPEN_OBJECT || b === OPEN_ARRAY) depth += 1;
    else if ((b === CLOSE_OBJECT || b === CLOSE_ARRAY) && --depth === 0) return i;
  }
}

/** Whether `bytes` holds the bytes of `a` from `start` on. */
export function sameBytes(a: Uint8Array, bytes: Uint8Array, start: number): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== bytes[start + i]) return false;
  return true;
}
