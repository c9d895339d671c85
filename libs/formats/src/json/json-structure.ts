import {
  afterString,
  afterValue,
  BACKSLASH,
  CLOSE_ARRAY,
  CLOSE_OBJECT,
  COLON,
  COMMA,
  DIGIT_0,
  DIGIT_9,
  isSpace,
  OPEN_ARRAY,
  OPEN_OBJECT,
  QUOTE,
  sameBytes,
} from './json-bytes';

/**
 * DuckDB's json_group_structure() describes the union of a group's JSON documents: an
 * object maps keys to structures, an array holds one element structure, a string names a
 * type (VARCHAR, BIGINT, UBIGINT, DOUBLE, BOOLEAN, NULL, JSON for mixed types).
 */
export type JsonStructure = string | JsonStructure[] | { [key: string]: JsonStructure };

/**
 * Makes a structure safe to store: keys in a fixed order (so a retry gives the same
 * columns), all-null and empty-object fields kept as JSON text, unsigned 64-bit integers
 * as signed (warehouses such as BigQuery have no UINT64).
 */
export function normaliseStructure(structure: JsonStructure): JsonStructure {
  if (typeof structure === 'string') {
    if (structure === 'NULL') return 'JSON';
    if (structure === 'UBIGINT') return 'BIGINT';
    return structure;
  }
  if (Array.isArray(structure)) return structure.length ? [normaliseStructure(structure[0])] : ['JSON'];
  const keys = Object.keys(structure).sort();
  if (keys.length === 0) return 'JSON';
  return Object.fromEntries(keys.map((k) => [k, normaliseStructure(structure[k])]));
}

/** Leaf paths of an object structure: objects are walked, arrays and scalars are leaves. */
export function leafPaths(structure: JsonStructure, prefix: string[] = []): string[][] {
  if (typeof structure === 'string' || Array.isArray(structure)) return [prefix];
  const keys = Object.keys(structure).sort();
  if (keys.length === 0) return [prefix];
  return keys.flatMap((k) => leafPaths(structure[k], [...prefix, k]));
}

/** RFC 6901 JSON Pointer for a path, as DuckDB's json_extract accepts it. */
export function jsonPointer(path: string[]): string {
  return '/' + path.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

const NUMERIC_RANK: Record<string, number> = { UBIGINT: 1, BIGINT: 2, DOUBLE: 3 };

/**
 * The union of two structures, as json_group_structure() would give it: objects merge
 * key by key, arrays merge their elements, NULL gives way to anything, integers widen to
 * DOUBLE, and anything else that disagrees becomes JSON.
 */
export function mergeStructures(a: JsonStructure, b: JsonStructure): JsonStructure {
  if (a === 'NULL') return b;
  if (b === 'NULL') return a;
  if (typeof a === 'string' && typeof b === 'string') {
    if (a === b) return a;
    if (NUMERIC_RANK[a] && NUMERIC_RANK[b]) return NUMERIC_RANK[a] > NUMERIC_RANK[b] ? a : b;
    return 'JSON';
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length === 0) return b;
    if (b.length === 0) return a;
    return [mergeStructures(a[0], b[0])];
  }
  if (typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    // No prototype, and own keys only: `__proto__` and `constructor` are keys like any other.
    const out = Object.create(null) as { [key: string]: JsonStructure };
    for (const [k, v] of Object.entries(a)) out[k] = v;
    for (const [k, v] of Object.entries(b))
      out[k] = Object.prototype.hasOwnProperty.call(out, k) ? mergeStructures(out[k], v) : v;
    return out;
  }
  return 'JSON';
}

/**
 * Whether a JSON number, as JSON.parse reads it, is an integer that BIGINT holds. Its text
 * may hold more digits than the double (9007199254740993 reads as ...992): a BIGINT
 * column keeps them, a DOUBLE one would not. A double below 2^63 in magnitude comes from a
 * text below it too, so the value fits (a few integers just inside the limit count as
 * DOUBLE; none outside counts as BIGINT, which json_transform would turn into NULL).
 */
export function isBigint(value: number): boolean {
  return Number.isInteger(value) && Math.abs(value) < 2 ** 63;
}

/** `structure` widened by a scalar of `type` (the common case, the same type, costs nothing). */
function widenTo(structure: JsonStructure, type: string): JsonStructure {
  return structure === type ? structure : mergeStructures(structure, type);
}

type StructureObject = { [key: string]: JsonStructure };

function isStructureObject(s: JsonStructure): s is StructureObject {
  return typeof s === 'object' && !Array.isArray(s);
}

/**
 * Widens `structure` so that it also describes `value` (a parsed JSON value), the same as
 * mergeStructures(structure, json_structure(value)) but without building the value's own
 * structure: objects and arrays of `structure` are updated in place. Integers count as
 * BIGINT while BIGINT holds them (see isBigint), beyond as DOUBLE. Objects are kept without
 * a prototype, so keys such as `__proto__` or `constructor` are ordinary keys.
 */
export function widenStructure(structure: JsonStructure, value: unknown): JsonStructure {
  if (value === null || value === undefined) return structure;
  if (structure === 'JSON') return structure;
  switch (typeof value) {
    case 'string':
      return widenTo(structure, 'VARCHAR');
    case 'boolean':
      return widenTo(structure, 'BOOLEAN');
    case 'number':
      return widenTo(structure, isBigint(value) ? 'BIGINT' : 'DOUBLE');
    case 'object':
      break;
    default:
      return 'JSON';
  }
  if (Array.isArray(value)) {
    if (structure === 'NULL') structure = ['NULL'];
    if (!Array.isArray(structure)) return 'JSON';
    let element = structure.length ? structure[0] : 'NULL';
    for (const item of value) element = widenStructure(element, item);
    structure[0] = element;
    return structure;
  }
  if (structure === 'NULL') structure = Object.create(null) as StructureObject;
  if (!isStructureObject(structure)) return 'JSON';
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    const current = Object.prototype.hasOwnProperty.call(structure, key) ? structure[key] : 'NULL';
    structure[key] = widenStructure(current, object[key]);
  }
  return structure;
}

/**
 * The structure of a block of events (JSON texts at `bytes[ranges[2i]…ranges[2i+1])`): what
 * widenStructure gives over them, read from the bytes by StructureScanner. Blocks merge
 * with mergeStructures, in any grouping.
 */
export function structureOfBlock(bytes: Uint8Array, ranges: Int32Array): JsonStructure {
  const scanner = new StructureScanner(bytes);
  let structure: JsonStructure = 'NULL';
  for (let i = 0; i < ranges.length; i += 2) structure = scanner.widen(structure, ranges[i], ranges[i + 1]);
  return structure;
}

/** Integers of up to 15 digits are below 2^53: safe without looking at their value. */
const SAFE_DIGITS = 15;
/** Decoded keys kept per scanner; beyond this (keys that are ids, say) the cache starts over. */
const MAX_CACHED_KEYS = 4096;

/**
 * widenStructure for JSON text, without JSON.parse: one pass over the bytes that builds no
 * value, only the structure. Object keys are decoded once per distinct key (cached by
 * their bytes); numbers count as BIGINT when they are integers that BIGINT holds, as
 * JSON.parse and isBigint would say (1.0 and 1e2 are integers; 1.5 and 1e400 are not).
 *
 * Its structure objects are its own, without a prototype (a missing key reads as
 * undefined), as structureOfBlock starts each block from NULL.
 *
 * The text must be valid JSON (staging rejects every message that is not). One difference
 * from JSON.parse: a key that occurs twice in an object widens its field with both values,
 * where JSON.parse keeps the last one: the structure is then wider (JSON text, say), never
 * too narrow for the values DuckDB reads.
 */
class StructureScanner {
  private readonly bytes: Buffer;
  private at = 0;
  private readonly keys = new Map<number, KeyEntry[]>();
  private cachedKeys = 0;
  /** By object of the structure, and by position in it, the key last read there (see key()). */
  private readonly guesses = new WeakMap<StructureObject, (KeyEntry | undefined)[]>();

  constructor(bytes: Uint8Array) {
    this.bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** `structure` widened by the JSON text at bytes[start…end). */
  widen(structure: JsonStructure, start: number, end: number): JsonStructure {
    this.at = start;
    const widened = this.value(structure);
    const bytes = this.bytes;
    while (this.at < end && isSpace(bytes[this.at])) this.at += 1;
    if (this.at !== end)
      throw new Error(
        `internal error: a staged event is not one JSON value (byte ${this.at - start} of ${end - start})`,
      );
    return widened;
  }

  private space(): void {
    const bytes = this.bytes;
    while (isSpace(bytes[this.at])) this.at += 1;
  }

  private value(structure: JsonStructure): JsonStructure {
    this.space();
    const b = this.bytes[this.at];
    if (structure === 'JSON') {
      this.skipValue();
      return structure;
    }
    switch (b) {
      case QUOTE:
        this.skipString();
        return widenTo(structure, 'VARCHAR');
      case OPEN_OBJECT:
        return this.object(structure);
      case OPEN_ARRAY:
        return this.array(structure);
      case 0x74: // true
        this.at += 4;
        return widenTo(structure, 'BOOLEAN');
      case 0x66: // false
        this.at += 5;
        return widenTo(structure, 'BOOLEAN');
      case 0x6e: // null
        this.at += 4;
        return structure;
      default: {
        const type = this.number();
        return widenTo(structure, type);
      }
    }
  }

  private object(structure: JsonStructure): JsonStructure {
    if (structure === 'NULL') structure = Object.create(null) as StructureObject;
    if (!isStructureObject(structure)) {
      this.skipValue();
      return 'JSON';
    }
    const bytes = this.bytes;
    let guesses = this.guesses.get(structure);
    if (guesses === undefined) this.guesses.set(structure, (guesses = []));
    this.at += 1;
    this.space();
    if (bytes[this.at] === CLOSE_OBJECT) {
      this.at += 1;
      return structure;
    }
    for (let position = 0; ; position++) {
      this.space();
      const key = this.key(guesses, position);
      this.space();
      if (bytes[this.at] !== COLON) throw this.unexpected();
      this.at += 1;
      // Structure objects have no prototype: a missing key reads as undefined.
      const current = structure[key] as JsonStructure | undefined;
      const widened = this.value(current ?? 'NULL');
      // Objects and arrays are widened in place: most fields need no write.
      if (widened !== current) structure[key] = widened;
      this.space();
      const next = bytes[this.at++];
      if (next === CLOSE_OBJECT) return structure;
      if (next !== COMMA) throw this.unexpected();
    }
  }

  private array(structure: JsonStructure): JsonStructure {
    if (structure === 'NULL') structure = ['NULL'];
    if (!Array.isArray(structure)) {
      this.skipValue();
      return 'JSON';
    }
    const bytes = this.bytes;
    let element: JsonStructure = structure.length ? structure[0] : 'NULL';
    this.at += 1;
    this.space();
    if (bytes[this.at] === CLOSE_ARRAY) this.at += 1;
    else {
      for (;;) {
        element = this.value(element);
        this.space();
        const next = bytes[this.at++];
        if (next === CLOSE_ARRAY) break;
        if (next !== COMMA) throw this.unexpected();
      }
    }
    structure[0] = element;
    return structure;
  }

  /** BIGINT for an integer that BIGINT holds, else DOUBLE (the number starts at `at`). */
  private number(): 'BIGINT' | 'DOUBLE' {
    const bytes = this.bytes;
    const start = this.at;
    if (bytes[this.at] === 0x2d) this.at += 1;
    const digitsStart = this.at;
    while (bytes[this.at] >= DIGIT_0 && bytes[this.at] <= DIGIT_9) this.at += 1;
    const digits = this.at - digitsStart;
    if (digits === 0) throw this.unexpected();
    let fractionNonZero = false;
    let exponent = false;
    if (bytes[this.at] === 0x2e) {
      this.at += 1;
      while (bytes[this.at] >= DIGIT_0 && bytes[this.at] <= DIGIT_9) {
        if (bytes[this.at] !== DIGIT_0) fractionNonZero = true;
        this.at += 1;
      }
    }
    if (bytes[this.at] === 0x65 || bytes[this.at] === 0x45) {
      exponent = true;
      this.at += 1;
      if (bytes[this.at] === 0x2b || bytes[this.at] === 0x2d) this.at += 1;
      while (bytes[this.at] >= DIGIT_0 && bytes[this.at] <= DIGIT_9) this.at += 1;
    }
    if (!exponent) {
      if (fractionNonZero) return 'DOUBLE';
      if (digits <= SAFE_DIGITS) return 'BIGINT';
    }
    return isBigint(Number(this.bytes.toString('latin1', start, this.at))) ? 'BIGINT' : 'DOUBLE';
  }

  /**
   * The key whose opening quote is at `at`, decoded once per distinct key. The events of a group mostly spell their
   * keys in the same order: the key last read at this position of this object (`guesses`) is tried first, with no
   * hash and no lookup.
   */
  private key(guesses: (KeyEntry | undefined)[], position: number): string {
    const bytes = this.bytes;
    if (bytes[this.at] !== QUOTE) throw this.unexpected();
    const start = this.at + 1;
    const guess = position < MAX_GUESSES ? guesses[position] : undefined;
    // The key recorded holds no quote or backslash: a match up to a quote is the whole key.
    if (guess !== undefined && bytes[start + guess.bytes.length] === QUOTE && sameBytes(guess.bytes, bytes, start)) {
      this.at = start + guess.bytes.length + 1;
      return guess.key;
    }
    const entry = this.keyEntry();
    if (entry.bytes !== null && position < MAX_GUESSES) guesses[position] = entry as KeyEntry;
    return entry.key;
  }

  /** The key whose opening quote is at `at`, and its bytes unless it has escapes, cached by its bytes. */
  private keyEntry(): { bytes: Uint8Array | null; key: string } {
    const bytes = this.bytes;
    const start = this.at + 1;
    let hash = 0x811c9dc5;
    let i = start;
    let b = bytes[i];
    while (b !== QUOTE && b !== BACKSLASH) {
      hash = Math.imul(hash ^ b, 0x01000193);
      b = bytes[++i];
    }
    if (b === BACKSLASH) {
      // Escapes: decoded by JSON.parse (rare in keys).
      this.skipString();
      return { bytes: null, key: JSON.parse(bytes.toString('utf8', start - 1, this.at)) as string };
    }
    this.at = i + 1;
    const length = i - start;
    const candidates = this.keys.get(hash);
    if (candidates) {
      for (const candidate of candidates)
        if (candidate.bytes.length === length && sameBytes(candidate.bytes, bytes, start)) return candidate;
    }
    const key = bytes.toString('utf8', start, i);
    if (this.cachedKeys >= MAX_CACHED_KEYS) {
      this.keys.clear();
      this.cachedKeys = 0;
    }
    const entry = { bytes: Uint8Array.prototype.slice.call(bytes, start, i), key };
    if (candidates && this.keys.has(hash)) candidates.push(entry);
    else this.keys.set(hash, [entry]);
    this.cachedKeys += 1;
    return entry;
  }

  /** Moves past the string whose opening quote is at `at`. */
  private skipString(): void {
    const end = afterString(this.bytes, this.at);
    if (end < 0) throw this.unexpected();
    this.at = end;
  }

  /** Moves past the value at `at`, whatever it is. */
  private skipValue(): void {
    this.space();
    const end = afterValue(this.bytes, this.at);
    if (end < 0) throw this.unexpected();
    this.at = end;
  }

  private unexpected(): Error {
    return new Error(`internal error: unexpected JSON at byte ${this.at} of a staged event block`);
  }
}

/** A key's bytes (without escapes) and the key. */
interface KeyEntry {
  bytes: Uint8Array;
  key: string;
}

/** Positions in an object whose last key is remembered (an object with more keys looks the rest up). */
const MAX_GUESSES = 256;
