import { findInputProblems, findQueryProblems } from './input-problems';

const NUL = 'must not contain the NUL character (U+0000)';
const SURROGATE = 'must be valid Unicode (it contains a lone UTF-16 surrogate)';
const UNKNOWN = 'is not a known field';

describe('findInputProblems', () => {
  it('finds nothing in ordinary input', () => {
    expect(
      findInputProblems({
        partner: 'gcp',
        events: ['Charged', 'App 😀'],
        intervalHours: 6,
        nested: { list: [null, true, 1.5, { a: 'b' }] },
      }),
    ).toEqual([]);
  });

  it('names every string PostgreSQL cannot store, by its path, in input order', () => {
    const body = {
      bucket: 'b\u0000',
      events: ['ok', 'a\ud800', 'b\u0000'],
      export: { serviceKey: { client_email: '\udc00x' } },
    };
    expect(findInputProblems(body)).toEqual([
      { field: 'bucket', message: NUL },
      { field: 'events.1', message: SURROGATE },
      { field: 'events.2', message: NUL },
      { field: 'export.serviceKey.client_email', message: SURROGATE },
    ]);
  });

  it('names the prototype keys JSON.parse makes own properties, at any depth', () => {
    const parsed: unknown = JSON.parse(
      '{"__proto__": {"x": 1}, "export": {"constructor": {"y": "\\u0000"}, "list": [{"prototype": 1}]}}',
    );
    expect(findInputProblems(parsed)).toEqual([
      { field: '__proto__', message: UNKNOWN },
      { field: 'export.constructor', message: UNKNOWN },
      { field: 'export.list.0.prototype', message: UNKNOWN },
    ]);
  });

  it('walks very long arrays without running out of stack', () => {
    expect(
      findInputProblems({ list: Array.from({ length: 500_000 }, (_, i) => (i === 499_999 ? '\u0000' : i)) }),
    ).toEqual([{ field: 'list.499999', message: NUL }]);
  });
});

describe('findQueryProblems', () => {
  it('finds nothing in an ordinary query', () => {
    expect(findQueryProblems('limit=5&cursor=01JDQ7Z8X9K2M3N4P5Q6R7S8T9&q=a+b%20c')).toEqual([]);
    expect(findQueryProblems('')).toEqual([]);
  });

  it.each([
    ['__proto__=1', '__proto__'],
    ['limit=5&constructor[x]=1', 'constructor[x]'],
    ['constructor%5Bprototype%5D=1', 'constructor[prototype]'],
    ['a[__proto__][b]=1', 'a[__proto__][b]'],
    ['a.prototype=1', 'a.prototype'],
  ])('names the prototype key of %s', (query, field) => {
    expect(findQueryProblems(query)).toEqual([{ field, message: UNKNOWN }]);
  });

  it('names values PostgreSQL cannot store', () => {
    expect(findQueryProblems('cursor=a%00b&limit=5')).toEqual([{ field: 'cursor', message: NUL }]);
  });
});
