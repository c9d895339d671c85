/**
 * The lines of one slice, in the order staging sorts them: by file group (event name, then day),
 * each group's lines in the order they came (offset order: a slice holds one partition). A group's
 * key is its name's bytes, 0x01, and its day's: keys compare byte by byte, as DuckDB compares
 * VARCHARs, and a name that is a prefix of another sorts first, as it does in (name, day) order
 * (names hold no control bytes).
 *
 * When the group of every line is known, `arrange` writes the lines in that order and staging
 * need not sort the slice (DuckDB's sort of a slice's wide rows was two fifths of its staging).
 * A line whose group only SQL can settle (not scanned, a ts that is not the day, a name SQL may
 * reject) makes the slice unknown: it is written as it came and sorted in SQL.
 */
export class GroupOrder {
  private starts = new Int32Array(1024);
  private groupOf = new Int32Array(1024);
  /** Where each line's staged line begins (see `add`), or -1. */
  private cuts = new Int32Array(1024);
  private lines = 0;
  private uncut = false;
  /** Each group's key (name bytes, 0x01, day bytes), and the groups by the hash of their key. */
  private readonly keys: Buffer[] = [];
  private readonly byHash = new Map<number, number[]>();
  private unknown = false;

  /** The lines added since the last reset. */
  get size(): number {
    return this.lines;
  }

  /** Whether every line's group is known. */
  get known(): boolean {
    return !this.unknown;
  }

  /** Whether every line's group is known and every line has its staged line (see `add`): `arrangeLines` can write them. */
  get linesKnown(): boolean {
    return !this.unknown && !this.uncut;
  }

  /**
   * The line that starts at `start` (after the previous one's end) is in the group of the name in
   * `bytes` [nameStart, nameEnd) and the day in the eight bytes from `dayStart`. `cutAt`: where, in
   * the lines' buffer, its staged line begins (it runs to the end of this one, its newline included:
   * the message, or its line in the JSON format, whose first byte becomes `{`), or -1 when it has none.
   */
  add(start: number, bytes: Uint8Array, nameStart: number, nameEnd: number, dayStart: number, cutAt = -1): void {
    const hash = groupHash(bytes, nameStart, nameEnd, dayStart);
    let groups = this.byHash.get(hash);
    if (!groups) this.byHash.set(hash, (groups = []));
    let group = -1;
    for (const g of groups) if (sameKey(this.keys[g], bytes, nameStart, nameEnd, dayStart)) group = g;
    if (group < 0) {
      group = this.keys.length;
      this.keys.push(keyOf(bytes, nameStart, nameEnd, dayStart));
      groups.push(group);
    }
    if (cutAt < 0) this.uncut = true;
    this.push(start, group, cutAt);
  }

  /** The line that starts at `start` is in a group only SQL can settle. */
  addUnknown(start: number): void {
    this.unknown = true;
    this.push(start, -1, -1);
  }

  /**
   * Copies the lines of `source` (the first at 0, the last ending at `end`) into `target`, which
   * has room for `end` bytes, in group order. Only when every line's group is known.
   */
  arrange(source: Buffer, end: number, target: Buffer): void {
    if (this.unknown) throw new Error('the group of a line is not known');
    // Each group's rank in key order, then where its lines start in the target: a counting sort.
    const byKey = this.sortedGroups();
    const at = new Float64Array(this.keys.length);
    for (let i = 0; i < this.lines; i++) {
      const next = i + 1 < this.lines ? this.starts[i + 1] : end;
      at[this.groupOf[i]] += next - this.starts[i];
    }
    let offset = 0;
    for (const group of byKey) {
      const bytes = at[group];
      at[group] = offset;
      offset += bytes;
    }
    // Runs of lines of one group are copied at once.
    let run = 0;
    for (let i = 1; i <= this.lines; i++) {
      if (i < this.lines && this.groupOf[i] === this.groupOf[run]) continue;
      const start = this.starts[run];
      const next = i < this.lines ? this.starts[i] : end;
      const group = this.groupOf[run];
      source.copy(target, at[group], start, next);
      at[group] += next - start;
      run = i;
    }
  }

  /**
   * Writes into `target` each line's staged line (from its `cutAt` to the end of the line at
   * `source`; `openObject`: with `{` in place of its first byte, a JSON line), in group order;
   * `end`: where the last line ends. Returns the groups in that order, with where each one's
   * lines are in `target`. Only when `linesKnown`.
   */
  arrangeLines(source: Buffer, end: number, target: Buffer, openObject: boolean): LineGroup[] {
    if (!this.linesKnown) throw new Error('the group or the JSON line of a line is not known');
    const byKey = this.sortedGroups();
    const at = new Float64Array(this.keys.length);
    const rows = new Int32Array(this.keys.length);
    for (let i = 0; i < this.lines; i++) {
      const next = i + 1 < this.lines ? this.starts[i + 1] : end;
      at[this.groupOf[i]] += next - this.cuts[i];
      rows[this.groupOf[i]] += 1;
    }
    const groups: LineGroup[] = [];
    let offset = 0;
    for (const group of byKey) {
      const key = this.keys[group];
      const bytes = at[group];
      groups.push({
        eventName: key.toString('utf8', 0, key.length - 9),
        day: key.toString('latin1', key.length - 8),
        rows: rows[group],
        start: offset,
        end: offset + bytes,
      });
      at[group] = offset;
      offset += bytes;
    }
    for (let i = 0; i < this.lines; i++) {
      const next = i + 1 < this.lines ? this.starts[i + 1] : end;
      const group = this.groupOf[i];
      const to = at[group];
      source.copy(target, to, this.cuts[i], next);
      if (openObject) target[to] = OPEN_OBJECT;
      at[group] = to + next - this.cuts[i];
    }
    return groups;
  }

  reset(): void {
    this.lines = 0;
    this.keys.length = 0;
    this.byHash.clear();
    this.unknown = false;
    this.uncut = false;
  }

  /** The groups' numbers in key order. */
  private sortedGroups(): number[] {
    return this.keys
      .map((key, group) => ({ key, group }))
      .sort((a, b) => Buffer.compare(a.key, b.key))
      .map(({ group }) => group);
  }

  private push(start: number, group: number, cutAt: number): void {
    if (this.lines === this.starts.length) {
      this.starts = grown(this.starts);
      this.groupOf = grown(this.groupOf);
      this.cuts = grown(this.cuts);
    }
    this.starts[this.lines] = start;
    this.groupOf[this.lines] = group;
    this.cuts[this.lines] = cutAt;
    this.lines += 1;
  }
}

/** A file group's lines in a slice arranged by `arrangeLines`: its rows, and the bytes [start, end) they take. */
export interface LineGroup {
  eventName: string;
  day: string;
  rows: number;
  start: number;
  end: number;
}

const OPEN_OBJECT = 0x7b;

const SEPARATOR = 0x01;

/** FNV-1a of a group's name and day bytes. */
export function groupHash(bytes: Uint8Array, nameStart: number, nameEnd: number, dayStart: number): number {
  let hash = 0x811c9dc5;
  for (let i = nameStart; i < nameEnd; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  for (let i = dayStart; i < dayStart + 8; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  return hash;
}

function keyOf(bytes: Uint8Array, nameStart: number, nameEnd: number, dayStart: number): Buffer {
  const name = nameEnd - nameStart;
  const key = Buffer.allocUnsafe(name + 9);
  key.set(bytes.subarray(nameStart, nameEnd), 0);
  key[name] = SEPARATOR;
  key.set(bytes.subarray(dayStart, dayStart + 8), name + 1);
  return key;
}

function sameKey(key: Buffer, bytes: Uint8Array, nameStart: number, nameEnd: number, dayStart: number): boolean {
  const name = nameEnd - nameStart;
  if (key.length !== name + 9) return false;
  for (let i = 0; i < name; i++) if (key[i] !== bytes[nameStart + i]) return false;
  for (let i = 0; i < 8; i++) if (key[name + 1 + i] !== bytes[dayStart + i]) return false;
  return true;
}

function grown(array: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}
