import { InvalidField } from './errors';

/** The longest folder an export may put its files under, in UTF-8 bytes. */
export const MAX_PREFIX_BYTES = 512;

/**
 * An export's folder in the bucket (`prefix`), checked: relative (no leading `/`), no `.`
 * or `..` segment, no empty segment (`a//b`), no control characters, at most
 * MAX_PREFIX_BYTES. A prefix that does not end in `/` gets one, so a file name never runs
 * into the folder's last segment. The empty prefix is the bucket's root.
 */
export function checkPrefix(prefix: string): string {
  if (prefix === '') return '';
  const fail = (why: string) => new InvalidField('prefix', `prefix ${why}`);
  if (prefix.startsWith('/')) throw fail('must be relative to the bucket: remove the leading "/"');
  if (/[\u0000-\u001f\u007f-\u009f]/.test(prefix)) throw fail('must not contain control characters');
  if (/[\uD800-\uDFFF]/.test(prefix.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '')))
    throw fail('must be valid Unicode text');
  const folder = prefix.endsWith('/') ? prefix : `${prefix}/`;
  const segments = folder.slice(0, -1).split('/');
  if (segments.some((s) => s === '..' || s === '.')) throw fail('must not contain a "." or ".." segment');
  if (segments.some((s) => s === '')) throw fail('must not contain an empty segment ("//")');
  if (Buffer.byteLength(folder, 'utf8') > MAX_PREFIX_BYTES)
    throw fail(`must be at most ${MAX_PREFIX_BYTES} bytes (UTF-8) with its final "/"`);
  return folder;
}
