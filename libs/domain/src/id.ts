import { randomBytes } from 'node:crypto';

/** Crockford's base32: no I, L, O, U; and no '-', so an id is one field of a file name. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * A new id: a ULID (48-bit millisecond time, 80 random bits), 26 characters, sorts by
 * creation time. Used for every row we create; an export's id is the "request id" of its
 * file names, so it must not contain the `-` that separates their fields.
 */
export function newId(now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const random = randomBytes(16);
  let rest = '';
  for (let i = 0; i < 16; i++) rest += ALPHABET[random[i] % 32];
  return time + rest;
}

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

export const ID_REGEX = ID_PATTERN;
