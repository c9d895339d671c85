import {
  JsonStructure,
  jsonPointer,
  leafPaths,
  mergeStructures,
  normaliseStructure,
  structureOfBlock,
  widenStructure,
} from './json-structure';
import { random } from '../seeded-random.spec-helper';

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
    expect(
      leafPaths({ profile: { identity: 'VARCHAR', address: { city: 'VARCHAR' } }, eventProps: { tags: ['VARCHAR'] } }),
    ).toEqual([
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
      {
        ts: 20261128000000,
        profile: { identity: 'u1' },
        eventProps: { n: 1, tags: ['a'], mixed: 1, nested: { x: null } },
      },
      { ts: 20261128000001, eventProps: { n: 1.5, tags: [], mixed: 'one', nested: { x: 'v', y: true }, empty: {} } },
      {
        ts: 20261128000002,
        eventProps: { n: 2, tags: ['b', 'c'], mixed: { deep: 1 }, big: 2 ** 60, wide: 2 ** 63, nothing: null },
      },
    ];
    expect(structureOf(events)).toEqual({
      ts: 'BIGINT',
      profile: { identity: 'VARCHAR' },
      eventProps: {
        n: 'DOUBLE',
        tags: ['VARCHAR'],
        mixed: 'JSON',
        nested: { x: 'VARCHAR', y: 'BOOLEAN' },
        empty: {},
        big: 'BIGINT',
        wide: 'DOUBLE',
        nothing: 'NULL',
      },
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

describe('structureOfBlock', () => {
  const events = [
    { ts: 1, eventProps: { n: 1, tags: ['a'], constructor: 'x', nested: { x: null } } },
    { ts: 2, eventProps: { n: 1.5, tags: [], __proto__: { a: 1 }, nested: { x: 'v', y: true } } },
    { ts: 3, eventProps: { n: 2, tags: [1], constructor: { deep: 1 }, toString: [true] } },
    { ts: 4, profile: null, eventProps: { mixed: [1, 'x'], n: 2 ** 60 } },
  ].map((e) => JSON.stringify(e).replace('"__proto__"', '"__proto__"'));
  const texts = [
    events[0],
    events[1].replace('{"ts":2,"eventProps":{', '{"ts":2,"eventProps":{"__proto__":{"a":1},'),
    events[2],
    events[3],
  ];
  const block = (list: string[]) => {
    const bytes = Buffer.from(list.join('\n'));
    const ranges: number[] = [];
    let at = 0;
    for (const t of list) {
      ranges.push(at, at + Buffer.byteLength(t));
      at += Buffer.byteLength(t) + 1;
    }
    return structureOfBlock(bytes, Int32Array.from(ranges));
  };

  it('merges blocks into what widening over every event gives, however the events are split', () => {
    const whole = normaliseStructure(texts.reduce<JsonStructure>((s, t) => widenStructure(s, JSON.parse(t)), 'NULL'));
    expect(normaliseStructure(block(texts))).toEqual(whole);
    for (let cut = 1; cut < texts.length; cut++) {
      // Through JSON text, as a worker thread hands a structure back.
      const [a, b] = [block(texts.slice(0, cut)), block(texts.slice(cut))].map(
        (s) => JSON.parse(JSON.stringify(s)) as JsonStructure,
      );
      expect(normaliseStructure(mergeStructures(a, b))).toEqual(whole);
      expect(normaliseStructure(mergeStructures(b, a))).toEqual(whole);
    }
    const props = (whole as Record<string, JsonStructure>).eventProps as Record<string, JsonStructure>;
    expect(Object.keys(props)).toEqual(['__proto__', 'constructor', 'mixed', 'n', 'nested', 'tags', 'toString']);
    expect(props.constructor).toBe('JSON');
  });

  it('reads the same structure from the bytes as JSON.parse and widenStructure give, for any JSON', () => {
    const next = random(7);
    const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)];
    const KEYS = [
      'a',
      'b',
      'n',
      'tags',
      'Ünï',
      '日本',
      '😀',
      'quo"te',
      'back\\slash',
      'line\nbreak',
      'ctl\u0001',
      '__proto__',
      'constructor',
      'toString',
      '',
    ];
    // Numbers as producers spell them, with what JSON.parse makes of them.
    const NUMBERS = [
      '0',
      '-0',
      '7',
      '-42',
      '123456789012345',
      '9007199254740991',
      '9007199254740992',
      '-9007199254740993',
      '12345678901234567890',
      '9223372036854774000',
      '-9223372036854775808',
      '9223372036854775807',
      '1.0',
      '2.50',
      '1.5',
      '-0.001',
      '1e2',
      '1E+2',
      '1e-2',
      '1.5e3',
      '1e400',
      '-1e400',
      '1e-400',
    ];
    const space = () => pick(['', '', '', ' ', '\n  ', '\t']);
    const text = (depth: number): string => {
      const kind = next();
      if (depth > 3 || kind < 0.35) {
        return pick([
          () => pick(NUMBERS),
          () =>
            JSON.stringify(
              pick(['', 'x', 'a "quoted" \\ text', 'Ünïcødé 😀', 'tab\there', '\u0000nul', '{"not":"an object"}']),
            ),
          () => pick(['true', 'false', 'null']),
        ])();
      }
      if (kind < 0.65) {
        const items = Array.from({ length: Math.floor(next() * 4) }, () => space() + text(depth + 1) + space());
        return `[${items.join(',')}]`;
      }
      const keys = [...new Set(Array.from({ length: Math.floor(next() * 6) }, () => pick(KEYS)))];
      return `{${keys.map((k) => `${space()}${JSON.stringify(k)}${space()}:${space()}${text(depth + 1)}${space()}`).join(',')}}`;
    };
    for (let round = 0; round < 200; round++) {
      const texts = Array.from({ length: 1 + Math.floor(next() * 8) }, () => `${space()}${text(0)}${space()}`);
      const expected = texts.reduce<JsonStructure>((st, t) => widenStructure(st, JSON.parse(t)), 'NULL');
      expect([texts, block(texts)]).toEqual([texts, expected]);
    }
  });

  it('merges keys named like Object.prototype members as ordinary keys', () => {
    const b = JSON.parse('{"constructor":"VARCHAR","__proto__":{"a":"BIGINT"},"toString":"BOOLEAN"}') as JsonStructure;
    const merged = mergeStructures({ x: 'BIGINT' }, b) as Record<string, JsonStructure>;
    expect(Object.keys(merged)).toEqual(['x', 'constructor', '__proto__', 'toString']);
    expect([merged.constructor, merged.toString]).toEqual(['VARCHAR', 'BOOLEAN']);
    expect(Object.getOwnPropertyDescriptor(merged, '__proto__')?.value).toEqual({ a: 'BIGINT' });
  });
});
