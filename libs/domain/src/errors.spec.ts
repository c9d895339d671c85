import { describeError } from './errors';

describe('describeError', () => {
  it("gives an error's message, or the thrown value as text", () => {
    expect(describeError(new Error('bucket gone'))).toBe('bucket gone');
    expect(describeError('plain text')).toBe('plain text');
    expect(describeError(42)).toBe('42');
  });

  it('cuts a long reason at the limit and says it was cut', () => {
    expect(describeError(new Error('x'.repeat(1001)))).toBe(`${'x'.repeat(1000)}…`);
    expect(describeError('y'.repeat(1000))).toBe('y'.repeat(1000));
    expect(describeError('z'.repeat(501), 500)).toBe(`${'z'.repeat(500)}…`);
  });
});
