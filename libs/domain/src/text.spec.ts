import { textProblem } from './text';

describe('textProblem', () => {
  it.each(['', 'Charged', 'App Launched', 'emoji 😀 and ✓', '\ud83d\ude00', 'tab\tand\nnewline'])(
    'accepts %j',
    (text) => {
      expect(textProblem(text)).toBeNull();
    },
  );
  it.each(['\u0000', 'a\u0000b', 'end\u0000'])('refuses the NUL in %j', (text) => {
    expect(textProblem(text)).toBe('must not contain the NUL character (U+0000)');
  });
  it.each(['\ud800', 'a\ud800b', 'a\udc00', '\ude00\ud83d', 'pair 😀 then \ud83d'])(
    'refuses the lone surrogate in %j',
    (text) => {
      expect(textProblem(text)).toBe('must be valid Unicode (it contains a lone UTF-16 surrogate)');
    },
  );
});
