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
    for (const [k, v] of Object.entries(b)) out[k] = Object.prototype.hasOwnProperty.call(out, k) ? mergeStructures(out[k], v) : v;
    return out;
  }
  return 'JSON';
}

type StructureObject = { [key: string]: JsonStructure };

function isStructureObject(s: JsonStructure): s is StructureObject {
  return typeof s === 'object' && !Array.isArray(s);
}

/**
 * Widens `structure` so that it also describes `value` (a parsed JSON value), the same as
 * mergeStructures(structure, json_structure(value)) but without building the value's own
 * structure: objects and arrays of `structure` are updated in place. Integers beyond
 * ±2^53 (JavaScript cannot hold them exactly) count as DOUBLE. Objects are kept without
 * a prototype, so keys such as `__proto__` or `constructor` are ordinary keys.
 */
export function widenStructure(structure: JsonStructure, value: unknown): JsonStructure {
  if (value === null || value === undefined) return structure;
  if (structure === 'JSON') return structure;
  switch (typeof value) {
    case 'string':
      return structure === 'VARCHAR' ? structure : mergeStructures(structure, 'VARCHAR');
    case 'boolean':
      return structure === 'BOOLEAN' ? structure : mergeStructures(structure, 'BOOLEAN');
    case 'number': {
      const type = Number.isSafeInteger(value) ? 'BIGINT' : 'DOUBLE';
      return structure === type ? structure : mergeStructures(structure, type);
    }
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
 * widenStructure gives over them. Blocks merge with mergeStructures, in any grouping.
 */
export function structureOfBlock(bytes: Uint8Array, ranges: Int32Array): JsonStructure {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let structure: JsonStructure = 'NULL';
  for (let i = 0; i < ranges.length; i += 2) structure = widenStructure(structure, JSON.parse(text.toString('utf8', ranges[i], ranges[i + 1])));
  return structure;
}
