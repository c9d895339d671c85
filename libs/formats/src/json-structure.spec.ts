import { jsonPointer, leafPaths, mergeStructures, normaliseStructure } from './json-structure';

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
