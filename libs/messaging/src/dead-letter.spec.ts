import { DEAD_LETTER_VALUE_BYTES, deadLetterSize } from './dead-letter';

describe('dead-letter batch sizes', () => {
  it('counts a text value in UTF-8 bytes, so CJK text is not taken for a third of its size', () => {
    const value = '漢'.repeat(170_000); // 510,000 bytes in UTF-8
    expect(deadLetterSize({ key: 'k', value })).toBeGreaterThanOrEqual(510_000);
    expect(deadLetterSize({ key: 'k', value })).toBe(
      deadLetterSize({ key: Buffer.from('k'), value: Buffer.from(value, 'utf8') }),
    );
  });

  it('counts a value only up to where it is cut', () => {
    expect(deadLetterSize({ key: null, value: Buffer.alloc(5 * 1024 * 1024) })).toBe(DEAD_LETTER_VALUE_BYTES + 256);
    expect(deadLetterSize({ key: null, value: null })).toBe(256);
  });
});
