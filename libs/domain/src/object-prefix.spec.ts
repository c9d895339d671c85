import { InvalidField } from './errors';
import { checkPrefix, MAX_PREFIX_BYTES } from './object-prefix';

describe('checkPrefix', () => {
  const refused = (prefix: string) => {
    try {
      checkPrefix(prefix);
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidField);
      expect((e as InvalidField).field).toBe('prefix');
      return (e as Error).message;
    }
    throw new Error(`accepted ${JSON.stringify(prefix)}`);
  };

  it('keeps a folder and ends it with a slash', () => {
    expect(checkPrefix('clevertap/exports/')).toBe('clevertap/exports/');
    expect(checkPrefix('clevertap/exports')).toBe('clevertap/exports/');
    expect(checkPrefix('')).toBe('');
    expect(checkPrefix('données/été')).toBe('données/été/');
  });

  it('refuses what could escape or break the folder', () => {
    expect(refused('/abs/')).toMatch(/leading "\/"/);
    expect(refused('a/../b/')).toMatch(/"\.\."/);
    expect(refused('../b')).toMatch(/"\.\."/);
    expect(refused('./b')).toMatch(/"\."/);
    expect(refused('a//b')).toMatch(/empty segment/);
    expect(refused('a\nb')).toMatch(/control/);
    expect(refused('a\u0000b')).toMatch(/control/);
    expect(refused('a\u0085b')).toMatch(/control/);
    expect(refused('a\uD800b')).toMatch(/Unicode/);
  });

  it('counts bytes, not characters, with the final slash', () => {
    expect(checkPrefix('a'.repeat(MAX_PREFIX_BYTES - 1))).toHaveLength(MAX_PREFIX_BYTES);
    expect(refused('a'.repeat(MAX_PREFIX_BYTES))).toMatch(/512 bytes/);
    expect(refused('é'.repeat(MAX_PREFIX_BYTES / 2))).toMatch(/512 bytes/);
  });
});
