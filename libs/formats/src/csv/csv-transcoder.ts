import { EncodedBlock } from '../chunking/encoded-blocks';
import { mayChangeNumberText } from '../json/json-number-text';
import {
  afterString,
  afterValue,
  BACKSLASH,
  CLOSE_ARRAY,
  CLOSE_OBJECT,
  COLON,
  COMMA,
  CR,
  DIGIT_0,
  DIGIT_9,
  DOT,
  isSpace,
  LF,
  LOWER_E,
  LOWER_U,
  MINUS,
  OPEN_ARRAY,
  OPEN_OBJECT,
  PLUS,
  QUOTE,
  sameBytes,
  TAB,
  UPPER_E,
} from '../json/json-bytes';

const APOSTROPHE = 0x27;
const AT_SIGN = 0x40;
const EQUALS = 0x3d;
const SLASH = 0x2f;

/**
 * The CSV line of an event straight from its JSON bytes into an output buffer: one cell per
 * column (a path of keys, csv.ts's columns), joined by commas and ended by CRLF. No JSON.parse,
 * no string per value.
 *
 * A cell is what DuckDB's `json_extract(event, pointer)` gives, as CSV: empty for a value that is
 * absent or null; a string unescaped, a formula (= + - @ tab CR first) prefixed with `'`; a number,
 * a boolean, an array or an object as DuckDB's JSON writer (yyjson) spells it: minified, strings
 * re-escaped (`\u001F`, `\/` as `/`, other characters as UTF-8), integers as written (but `-0` as
 * `0`), other numbers in their shortest form with `.0` when integral (`1e2` as `100.0`), their
 * text kept when they overflow a double. A cell holding `"` `,` CR or LF is quoted (RFC 4180).
 *
 * A path follows the first occurrence of a key in an object (as yyjson's pointers do: a key given
 * twice counts once), keys compared after their escapes are decoded. The input must be valid JSON
 * in valid UTF-8 (staging guarantees both; a lone surrogate escape, which DuckDB refuses, throws).
 */
export class CsvTranscoder {
  out: Buffer;
  used = 0;
  private src: Uint8Array = new Uint8Array(0);
  /** `src` as a Buffer, for its text. */
  private srcBuffer: Buffer = Buffer.alloc(0);
  private at = 0;
  private readonly root: PathNode;
  private readonly columns: number;
  /**
   * Each column's cell, written as its value is met (in the event's order of keys): it lies at
   * `cells[cellStarts[c]…cellEnds[c])` (start -1: absent or null), copied into the line in the columns' order.
   */
  private cells = Buffer.allocUnsafeSlow(4096);
  private readonly cellStarts: Int32Array;
  private readonly cellEnds: Int32Array;
  /** Objects of the paths entered in this event (only a key's first occurrence is), by node. */
  private readonly entered: Uint8Array;
  /** Where escaped strings are decoded. */
  private scratch = Buffer.allocUnsafeSlow(1024);

  /** `paths`: the columns, in order. */
  constructor(paths: readonly (readonly string[])[]) {
    const nodes = { count: 1 };
    this.root = newNode(0);
    paths.forEach((path, column) => addPath(this.root, path, column, nodes));
    this.columns = paths.length;
    this.cellStarts = new Int32Array(paths.length);
    this.cellEnds = new Int32Array(paths.length);
    this.entered = new Uint8Array(nodes.count);
    this.out = Buffer.alloc(0);
  }

  /**
   * The lines of a block of events (JSON texts at `bytes[ranges[2i]…ranges[2i+1])`), end to end, and each one's size.
   * `spare`: a buffer to write into (a BlockPool lane's shared memory); the lines move to a buffer of their own if
   * they outgrow it.
   */
  block(bytes: Uint8Array, ranges: Int32Array, spare?: ArrayBufferLike): EncodedBlock {
    const count = ranges.length / 2;
    const sizes = new Int32Array(count);
    // A line is usually far shorter than its event: cells hold no keys.
    const size = Math.max(1024, bytes.byteLength);
    // Never from Node's shared pool: a worker thread hands the whole ArrayBuffer over.
    this.out = spare && spare.byteLength >= size ? Buffer.from(spare) : Buffer.allocUnsafeSlow(size);
    this.used = 0;
    for (let i = 0; i < count; i++) {
      const before = this.used;
      this.line(bytes, ranges[2 * i], ranges[2 * i + 1]);
      sizes[i] = this.used - before;
    }
    // Scratch grown for a large event is not kept: a worker keeps a transcoder per group written.
    if (this.cells.length > SCRATCH_KEPT_BYTES) this.cells = Buffer.allocUnsafeSlow(4096);
    if (this.scratch.length > SCRATCH_KEPT_BYTES) this.scratch = Buffer.allocUnsafeSlow(1024);
    const out = this.out.subarray(0, this.used);
    // The lines are the caller's: the transcoder keeps no reference to them.
    this.out = Buffer.alloc(0);
    return { out, sizes };
  }

  /** Appends the line (with its CRLF) of the event at `src[start…end)`. */
  private line(src: Uint8Array, start: number, end: number): void {
    // No value grows more than six times as a cell ("1e20" is 100000000000000000000.0; a quote doubles).
    const most = 6 * (end - start) + 4 * this.columns + 16;
    this.reserve(most);
    if (this.cells.length < most) this.cells = Buffer.allocUnsafeSlow(2 * most);
    if (src !== this.src) {
      this.src = src;
      this.srcBuffer = Buffer.from(src.buffer, src.byteOffset, src.byteLength);
    }
    this.at = start;
    this.cellStarts.fill(-1);
    this.entered.fill(0);
    this.space();
    // The cells, written into `cells` as the walk meets them.
    const out = this.out;
    const line = this.used;
    this.out = this.cells;
    this.used = 0;
    let cellsUsed: number;
    try {
      if (src[this.at] === OPEN_OBJECT) this.object(this.root);
    } finally {
      cellsUsed = this.used;
      this.out = out;
      this.used = line;
    }
    const cells = this.cells;
    if (cellsUsed > cells.length) throw new Error('CsvTranscoder: cells outgrew their reserve');
    let used = line;
    for (let c = 0; c < this.columns; c++) {
      if (c > 0) out[used++] = COMMA;
      const cellStart = this.cellStarts[c];
      if (cellStart >= 0) used = copyBytes(out, used, cells, cellStart, this.cellEnds[c]);
    }
    out[used++] = CR;
    out[used++] = LF;
    this.used = used;
    if (used > out.length) throw new Error('CsvTranscoder: output outgrew its reserve');
  }

  /** Writes the cells of the columns under `node` in the object at `at` (into `cells`), and moves past it. */
  private object(node: PathNode): void {
    const src = this.src;
    this.at += 1;
    this.space();
    if (src[this.at] === CLOSE_OBJECT) {
      this.at += 1;
      return;
    }
    for (let position = 0; ; position++) {
      this.space();
      const child = this.child(node, position);
      this.space();
      if (src[this.at] !== COLON) throw this.unexpected();
      this.at += 1;
      this.space();
      if (child === null) this.skipValue();
      else if (child.column >= 0) {
        if (this.cellStarts[child.column] < 0) {
          // The first occurrence of the key: its cell, now.
          // (A null's cell is empty, and the key counts as met: DuckDB reads no later occurrence.)
          this.cellStarts[child.column] = this.used;
          this.cell();
          this.cellEnds[child.column] = this.used;
        } else this.skipValue();
      } else if (this.entered[child.id] === 0) {
        this.entered[child.id] = 1;
        if (src[this.at] === OPEN_OBJECT) this.object(child);
        else this.skipValue();
      } else this.skipValue();
      this.space();
      const next = src[this.at++];
      if (next === CLOSE_OBJECT) return;
      if (next !== COMMA) throw this.unexpected(-1);
    }
  }

  /**
   * The node of the key whose opening quote is at `at`, the object's key number `position` (null: no column under
   * it), moving past the key. The events of a group mostly spell their keys in the same order: the key last seen at
   * this position is tried first, with no hash and no lookup.
   */
  private child(node: PathNode, position: number): PathNode | null {
    const src = this.src;
    if (src[this.at] !== QUOTE) throw this.unexpected();
    const start = this.at + 1;
    const guess = position < MAX_GUESSES ? node.guesses[position] : undefined;
    if (guess !== undefined) {
      const key = guess.key;
      // The key recorded holds no quote or backslash: a match up to a quote is the whole key.
      if (src[start + key.length] === QUOTE && sameBytes(key, src, start)) {
        this.at = start + key.length + 1;
        return guess.node;
      }
    }
    let hash = FNV_OFFSET;
    let i = start;
    let b = src[i];
    while (b !== QUOTE && b !== BACKSLASH) {
      if (b === undefined) throw this.unexpected();
      hash = Math.imul(hash ^ b, FNV_PRIME);
      b = src[++i];
    }
    if (b === BACKSLASH) {
      // A key spelled with escapes (rare): decoded, then looked up by name.
      this.skipString();
      const key = JSON.parse(this.srcBuffer.toString('utf8', start - 1, this.at)) as string;
      return node.byName.get(key) ?? null;
    }
    this.at = i + 1;
    const found = lookUp(node, hash, src, start, i);
    if (position < MAX_GUESSES)
      node.guesses[position] = { key: Uint8Array.prototype.slice.call(src, start, i), node: found };
    return found;
  }

  /** Writes the cell of the value at `at` (nothing for null), and moves past the value. */
  private cell(): void {
    const src = this.src;
    const b = src[this.at];
    if (b === QUOTE) return this.stringCell();
    if (b === OPEN_OBJECT || b === OPEN_ARRAY) return this.containerCell();
    if (b === 0x6e) {
      this.at += 4; // null
      return;
    }
    if (b === 0x74 || b === 0x66) {
      // true, false
      const length = b === 0x74 ? 4 : 5;
      this.used = copyBytes(this.out, this.used, src, this.at, this.at + length);
      this.at += length;
      return;
    }
    this.number();
  }

  /** A string as a cell: unescaped, a formula neutralised, quoted when it holds `"` `,` CR or LF. */
  private stringCell(): void {
    const src = this.src;
    const start = this.at + 1;
    let i = start;
    let comma = false;
    let b = src[i];
    while (b !== QUOTE && b !== BACKSLASH) {
      if (b === COMMA) comma = true;
      else if (b === undefined) throw this.unexpected();
      b = src[++i];
    }
    if (b === QUOTE) {
      // No escapes: the bytes are the text (a valid JSON string holds no raw quote, CR or LF).
      const out = this.out;
      if (comma) out[this.used++] = QUOTE;
      if (isFormulaStart(src[start])) out[this.used++] = APOSTROPHE;
      this.used = copyBytes(out, this.used, src, start, i);
      if (comma) out[this.used++] = QUOTE;
      this.at = i + 1;
      return;
    }
    const length = this.decodeString();
    const text = this.scratch;
    let quote = false;
    for (let k = 0; k < length && !quote; k++) {
      const c = text[k];
      quote = c === QUOTE || c === COMMA || c === CR || c === LF;
    }
    const out = this.out;
    let used = this.used;
    if (quote) out[used++] = QUOTE;
    if (length > 0 && isFormulaStart(text[0])) out[used++] = APOSTROPHE;
    for (let k = 0; k < length; k++) {
      const c = text[k];
      out[used++] = c;
      if (c === QUOTE) out[used++] = QUOTE;
    }
    if (quote) out[used++] = QUOTE;
    this.used = used;
  }

  /** An array or an object as a cell: its minified JSON, quoted when it holds `"` or `,`. */
  private containerCell(): void {
    // Written one byte further on, where the opening quote would go before it.
    const start = this.used + 1;
    this.used = start;
    this.minify();
    const out = this.out;
    const end = this.used;
    let quotes = 0;
    let comma = false;
    for (let k = start; k < end; k++) {
      const c = out[k];
      if (c === QUOTE) quotes += 1;
      else if (c === COMMA) comma = true;
    }
    if (quotes === 0 && !comma) {
      // Nothing to quote ({}, [], [1]…): back by one.
      out.copyWithin(start - 1, start, end);
      this.used = end - 1;
      return;
    }
    // Quote marks doubled in place, from the end back.
    out[start - 1] = QUOTE;
    let to = end + quotes;
    out[to] = QUOTE;
    for (let k = end - 1; k >= start && to > k + 1; k--) {
      const c = out[k];
      out[--to] = c;
      if (c === QUOTE) out[--to] = QUOTE;
    }
    this.used = end + quotes + 1;
  }

  /** Writes the JSON value at `at` as DuckDB writes it (minified, strings and numbers respelled), and moves past it. */
  private minify(): void {
    const src = this.src;
    const out = this.out;
    let depth = 0;
    for (;;) {
      const b = src[this.at];
      switch (b) {
        case QUOTE:
          this.jsonString();
          break;
        case OPEN_OBJECT:
        case OPEN_ARRAY:
          depth += 1;
          out[this.used++] = b;
          this.at += 1;
          break;
        case CLOSE_OBJECT:
        case CLOSE_ARRAY:
          depth -= 1;
          out[this.used++] = b;
          this.at += 1;
          break;
        case COMMA:
        case COLON:
          out[this.used++] = b;
          this.at += 1;
          break;
        case 0x74: // true
        case 0x6e: // null
          this.used = copyBytes(out, this.used, src, this.at, this.at + 4);
          this.at += 4;
          break;
        case 0x66: // false
          this.used = copyBytes(out, this.used, src, this.at, this.at + 5);
          this.at += 5;
          break;
        case undefined:
          throw this.unexpected();
        default:
          if (isSpace(b)) {
            this.at += 1;
            continue;
          }
          this.number();
      }
      if (depth === 0) return;
    }
  }

  /** Writes the string at `at` as DuckDB's JSON writer escapes it, and moves past it. */
  private jsonString(): void {
    const src = this.src;
    const start = this.at + 1;
    let i = start;
    let b = src[i];
    while (b !== QUOTE && b !== BACKSLASH) {
      if (b === undefined) throw this.unexpected();
      b = src[++i];
    }
    const out = this.out;
    if (b === QUOTE) {
      // No escapes: written as it is (raw UTF-8 and DEL are written so too).
      this.used = copyBytes(out, this.used, src, this.at, i + 1);
      this.at = i + 1;
      return;
    }
    const length = this.decodeString();
    const text = this.scratch;
    let used = this.used;
    out[used++] = QUOTE;
    for (let k = 0; k < length; k++) {
      const c = text[k];
      if (c >= 0x20 && c !== QUOTE && c !== BACKSLASH) {
        out[used++] = c;
        continue;
      }
      out[used++] = BACKSLASH;
      const short = SHORT_ESCAPES[c];
      if (short !== 0) out[used++] = short;
      else {
        out[used++] = LOWER_U;
        out[used++] = DIGIT_0;
        out[used++] = DIGIT_0;
        out[used++] = HEX_UPPER[c >> 4];
        out[used++] = HEX_UPPER[c & 15];
      }
    }
    out[used++] = QUOTE;
    this.used = used;
  }

  /**
   * Decodes the string whose opening quote is at `at` into `scratch` as UTF-8, moves past it and returns its length.
   */
  private decodeString(): number {
    const src = this.src;
    let i = this.at + 1;
    // Never longer than its JSON text.
    let end = i;
    while (src[end] !== QUOTE) end += src[end] === BACKSLASH ? 2 : 1;
    if (this.scratch.length < end - i) this.scratch = Buffer.allocUnsafeSlow(2 * (end - i));
    const text = this.scratch;
    let length = 0;
    while (i < end) {
      const b = src[i];
      if (b !== BACKSLASH) {
        text[length++] = b;
        i += 1;
        continue;
      }
      const e = src[i + 1];
      i += 2;
      if (e !== LOWER_U) {
        const c = UNESCAPES[e];
        if (c === 0xff) throw this.unexpected();
        text[length++] = c;
        continue;
      }
      let code = hex4(src, i);
      i += 4;
      if (code >= 0xd800 && code <= 0xdfff) {
        const low = code <= 0xdbff && src[i] === BACKSLASH && src[i + 1] === LOWER_U ? hex4(src, i + 2) : -1;
        if (low < 0xdc00 || low > 0xdfff)
          throw new Error('internal error: a staged event holds a lone UTF-16 surrogate, which DuckDB refuses');
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i += 6;
      }
      if (code < 0x80) text[length++] = code;
      else if (code < 0x800) {
        text[length++] = 0xc0 | (code >> 6);
        text[length++] = 0x80 | (code & 63);
      } else if (code < 0x10000) {
        text[length++] = 0xe0 | (code >> 12);
        text[length++] = 0x80 | ((code >> 6) & 63);
        text[length++] = 0x80 | (code & 63);
      } else {
        text[length++] = 0xf0 | (code >> 18);
        text[length++] = 0x80 | ((code >> 12) & 63);
        text[length++] = 0x80 | ((code >> 6) & 63);
        text[length++] = 0x80 | (code & 63);
      }
    }
    this.at = end + 1;
    return length;
  }

  /** Writes the number at `at` as DuckDB's JSON writer spells it (duckDbNumberText), and moves past it. */
  private number(): void {
    const src = this.src;
    const start = this.at;
    let i = start;
    let real = false;
    for (;;) {
      const b = src[i];
      if (b >= DIGIT_0 && b <= DIGIT_9) i += 1;
      else if (b === DOT || b === LOWER_E || b === UPPER_E || b === PLUS) {
        real = true;
        i += 1;
      } else if (b === MINUS) i += 1;
      else break;
    }
    if (i === start) throw this.unexpected();
    this.at = i;
    const out = this.out;
    if (!real) {
      // An integer as written, but -0 as 0.
      if (i - start === 2 && src[start] === MINUS && src[start + 1] === DIGIT_0) out[this.used++] = DIGIT_0;
      else this.used = copyBytes(out, this.used, src, start, i);
      return;
    }
    if (!mayChangeNumberText(src, start, i)) {
      // A fraction whose text a double keeps, as JavaScript and DuckDB print it (the usual price: 12.34).
      this.used = copyBytes(out, this.used, src, start, i);
      return;
    }
    this.used += out.write(duckDbRealText(this.srcBuffer.toString('latin1', start, i)), this.used, 'latin1');
  }

  private space(): void {
    const src = this.src;
    while (isSpace(src[this.at])) this.at += 1;
  }

  /** Moves past the string whose opening quote is at `at`. */
  private skipString(): void {
    const end = afterString(this.src, this.at);
    if (end < 0) throw this.unexpected();
    this.at = end;
  }

  /** Moves past the value at `at`, whatever it is. */
  private skipValue(): void {
    const end = afterValue(this.src, this.at);
    if (end < 0) throw this.unexpected();
    this.at = end;
  }

  private reserve(bytes: number): void {
    if (this.out.length - this.used >= bytes) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.out.length * 2, this.used + bytes));
    this.out.copy(bigger, 0, 0, this.used);
    this.out = bigger;
  }

  private unexpected(offset = 0): Error {
    return new Error(`internal error: unexpected JSON at byte ${this.at + offset} of a staged event block`);
  }
}

/**
 * A JSON number with a fraction or an exponent, as DuckDB's JSON writer (yyjson) spells it: the shortest
 * digits that read back as the same double (JavaScript's too), in decimal from 1e-6 up to 1e21 with `.0`
 * when integral, else with an exponent without `+` (`1e21`, `1.5e-7`); `-0.0` keeps its sign. A number
 * beyond a double's range keeps its text (DuckDB reads it as raw text).
 */
export function duckDbRealText(text: string): string {
  const value = Number(text);
  if (!Number.isFinite(value)) return text;
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const shortest = String(value);
  if (shortest.includes('e')) return shortest.replace('e+', 'e');
  return shortest.includes('.') ? shortest : `${shortest}.0`;
}

/** The columns' paths as a tree of keys: a node is a column (`column` ≥ 0) or an object whose keys lead to columns. */
interface PathNode {
  id: number;
  column: number;
  byName: Map<string, PathNode>;
  /** Children by the FNV-1a hash of their key's UTF-8 bytes. */
  byHash: Map<number, { key: Uint8Array; node: PathNode }[]>;
  /** By position in the object, the key (without escapes) last seen there and its child (null: none). */
  guesses: ({ key: Uint8Array; node: PathNode | null } | undefined)[];
}

/** Scratch memory a transcoder keeps between blocks; more, grown for a large event, is let go after the block. */
const SCRATCH_KEPT_BYTES = 1 << 20;

/** Positions in an object whose last key is remembered (an object with more keys looks the rest up). */
const MAX_GUESSES = 256;

/** The child of `node` whose key is `src[start…end)` (without escapes), whose hash is `hash`; null if none. */
function lookUp(node: PathNode, hash: number, src: Uint8Array, start: number, end: number): PathNode | null {
  const candidates = node.byHash.get(hash);
  if (candidates === undefined) return null;
  for (const candidate of candidates)
    if (candidate.key.length === end - start && sameBytes(candidate.key, src, start)) return candidate.node;
  return null;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function newNode(id: number): PathNode {
  return { id, column: -1, byName: new Map(), byHash: new Map(), guesses: [] };
}

function addPath(root: PathNode, path: readonly string[], column: number, nodes: { count: number }): void {
  let node = root;
  for (const key of path) {
    let child = node.byName.get(key);
    if (!child) {
      child = newNode(nodes.count++);
      node.byName.set(key, child);
      const bytes = new Uint8Array(Buffer.from(key, 'utf8'));
      let hash = FNV_OFFSET;
      for (const b of bytes) hash = Math.imul(hash ^ b, FNV_PRIME);
      const list = node.byHash.get(hash) ?? [];
      list.push({ key: bytes, node: child });
      node.byHash.set(hash, list);
    }
    node = child;
  }
  if (node === root || node.byName.size > 0 || node.column >= 0)
    throw new Error(`internal error: CSV column ${JSON.stringify(path)} is not a leaf of the columns' paths`);
  node.column = column;
}

/** Copies `src[start…end)` to `out` at `at`, and returns where it ends: a loop for the usual short run (no view made). */
function copyBytes(out: Uint8Array, at: number, src: Uint8Array, start: number, end: number): number {
  if (end - start > 64) {
    out.set(src.subarray(start, end), at);
    return at + end - start;
  }
  for (let i = start; i < end; i++) out[at++] = src[i];
  return at;
}

/** Whether a cell starting with this byte is a formula to a spreadsheet (= + - @ tab CR). */
function isFormulaStart(b: number): boolean {
  return b === EQUALS || b === PLUS || b === MINUS || b === AT_SIGN || b === TAB || b === CR;
}

/** The byte an escape `\x` stands for, by x (0xFF: no such escape; `\u` is decoded apart). */
const UNESCAPES = new Uint8Array(256).fill(0xff);
for (const [escape, byte] of [
  ['"', QUOTE],
  ['\\', BACKSLASH],
  ['/', SLASH],
  ['b', 0x08],
  ['f', 0x0c],
  ['n', LF],
  ['r', CR],
  ['t', TAB],
] as const)
  UNESCAPES[escape.charCodeAt(0)] = byte;

/** The letter of the short escape DuckDB's JSON writer uses for a byte below 0x20, `"` or `\` (0: `\u00XX`). */
const SHORT_ESCAPES = new Uint8Array(256);
for (const [byte, escape] of [
  [QUOTE, '"'],
  [BACKSLASH, '\\'],
  [0x08, 'b'],
  [0x0c, 'f'],
  [LF, 'n'],
  [CR, 'r'],
  [TAB, 't'],
] as const)
  SHORT_ESCAPES[byte] = escape.charCodeAt(0);

const HEX_UPPER = Buffer.from('0123456789ABCDEF', 'latin1');

function hex4(src: Uint8Array, at: number): number {
  let code = 0;
  for (let k = at; k < at + 4; k++) {
    const c = src[k];
    const digit = c <= DIGIT_9 ? c - DIGIT_0 : (c | 0x20) - 0x57;
    if (digit < 0 || digit > 15 || Number.isNaN(digit))
      throw new Error('internal error: a bad \\u escape in a staged event');
    code = code * 16 + digit;
  }
  return code;
}
