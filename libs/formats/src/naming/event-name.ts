/**
 * How an event name becomes the event-name field of a file name, reversibly.
 *
 * Rule: ASCII letters, digits, space and `_` stay as they are; every other byte of the
 * name's UTF-8 encoding becomes `%` followed by two uppercase hex digits. So `-` (the
 * field separator) is `%2D`, `/` (a prefix separator) is `%2F`, `.` is `%2E`, `%` itself
 * is `%25`, control characters never reach an object name, and `App Launched` stays
 * `App Launched`. decodeEventName() undoes it.
 */
const KEEP = /^[A-Za-z0-9 _]$/;

export function encodeEventName(name: string): string {
  let out = '';
  for (const ch of name) {
    if (KEEP.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of Buffer.from(ch, 'utf8')) out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

export function decodeEventName(encoded: string): string {
  if (!/^([A-Za-z0-9 _]|%[0-9A-F]{2})*$/.test(encoded)) throw new Error(`not an encoded event name: ${encoded}`);
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    if (encoded[i] === '%') {
      bytes.push(parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(encoded.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Event names longer than this (in UTF-8 bytes) are set aside: object names are limited to 1024 bytes. */
export const MAX_EVENT_NAME_BYTES = 256;
