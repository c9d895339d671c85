import { isId, newId } from './id';

describe('newId', () => {
  it('makes 26-character ids without dashes that sort by time', () => {
    const a = newId(Date.UTC(2026, 0, 1));
    const b = newId(Date.UTC(2026, 0, 2));
    expect(a).toHaveLength(26);
    expect(a).not.toContain('-');
    expect(isId(a)).toBe(true);
    expect(a < b).toBe(true);
  });
  it('does not repeat', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newId(0)));
    expect(ids.size).toBe(10_000);
  });
  it('refuses what is not an id', () => {
    expect(isId('0d8f7c3e-8a8e-4d3c-9a62-3c0a8d3f1b21')).toBe(false);
    expect(isId('01ARZ3NDEKTSV4RRFFQ69G5FAL')).toBe(false); // L is not in the alphabet
  });
});
