import { JsonStructure, jsonPointer, leafPaths, mergeStructures, normaliseStructure, widenStructure } from './json-structure';

describe('json structures', () => {
  it('normalises types and key order', () => {
    expect(normaliseStructure({ b: 'UBIGINT', a: { y: 'NULL', x: {} }, c: [], d: ['VARCHAR'] })).toEqual({
      a: { x: 'JSON', y: 'JSON' },
      b: 'BIGINT',
      c: ['JSON'],
      d: ['VARCHAR'],
    });
  });
  it('lists leaf paths, treating arrays as leaves', () => {
    expect(leafPaths({ profile: { identity: 'VARCHAR', address: { city: 'VARCHAR' } }, eventProps: { tags: ['VARCHAR'] } })).toEqual([
      ['eventProps', 'tags'],
      ['profile', 'address', 'city'],
      ['profile', 'identity'],
    ]);
  });
  it('escapes JSON pointers', () => {
    expect(jsonPointer(['eventProps', 'a/b', 'c~d'])).toBe('/eventProps/a~1b/c~0d');
  });
});

describe('mergeStructures', () => {
  it('unions objects, widens numbers, lets NULL give way and falls back to JSON', () => {
    expect(
      mergeStructures(
        { a: 'BIGINT', b: 'VARCHAR', c: { x: 'NULL' }, d: ['UBIGINT'], e: 'VARCHAR' },
        { a: 'DOUBLE', b: 'BOOLEAN', c: { x: 'VARCHAR', y: 'BIGINT' }, d: ['BIGINT'], f: 'NULL', e: { z: 'VARCHAR' } },
      ),
    ).toEqual({ a: 'DOUBLE', b: 'JSON', c: { x: 'VARCHAR', y: 'BIGINT' }, d: ['BIGINT'], e: 'JSON', f: 'NULL' });
  });
});

describe('widenStructure', () => {
  const structureOf = (values: unknown[]) => values.reduce<JsonStructure>((s, v) => widenStructure(s, v), 'NULL');

  it('describes values the way json_structure and mergeStructures would', () => {
    const events = [
      { ts: 20261128000000, profile: { identity: 'u1' }, eventProps: { n: 1, tags: ['a'], mixed: 1, nested: { x: null } } },
      { ts: 20261128000001, eventProps: { n: 1.5, tags: [], mixed: 'one', nested: { x: 'v', y: true }, empty: {} } },
      { ts: 20261128000002, eventProps: { n: 2, tags: ['b', 'c'], mixed: { deep: 1 }, big: 2 ** 60, nothing: null } },
    ];
    expect(structureOf(events)).toEqual({
      ts: 'BIGINT',
      profile: { identity: 'VARCHAR' },
      eventProps: { n: 'DOUBLE', tags: ['VARCHAR'], mixed: 'JSON', nested: { x: 'VARCHAR', y: 'BOOLEAN' }, empty: {}, big: 'DOUBLE', nothing: 'NULL' },
    });
  });
  it('treats __proto__ and constructor as ordinary keys', () => {
    const parsed = JSON.parse('{"__proto__": {"a": 1}, "constructor": "x", "toString": [1]}') as unknown;
    const s = normaliseStructure(structureOf([parsed, { constructor: 'y' }])) as Record<string, JsonStructure>;
    expect(Object.keys(s)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(s.constructor).toBe('VARCHAR');
    expect(s.toString).toEqual(['BIGINT']);
  });
  it('falls back to JSON when an array meets an object or a scalar', () => {
    expect(structureOf([{ a: [1] }, { a: { b: 1 } }, { a: 'x' }])).toEqual({ a: 'JSON' });
    expect(structureOf([[1, 'x']])).toEqual(['JSON']);
  });
});
