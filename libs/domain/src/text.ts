/**
 * PostgreSQL refuses NUL in `text` and the escapes `\u0000` and an unpaired `\ud800` in
 * `jsonb`; a lone UTF-16 surrogate is not Unicode at all (as UTF-8 it silently becomes
 * U+FFFD). No field we accept has a use for either, so text that holds one is refused.
 */
const NUL = /\u0000/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` cannot be stored, or null when it can. */
export function textProblem(text: string): string | null {
  if (NUL.test(text)) return 'must not contain the NUL character (U+0000)';
  if (LONE_SURROGATE.test(text)) return 'must be valid Unicode (it contains a lone UTF-16 surrogate)';
  return null;
}
