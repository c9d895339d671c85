import { InvalidField } from './errors';

/**
 * An account's time zone decides the day of each file; a name that the runtime (Intl, for
 * `formatDay`) or DuckDB (staging) cannot read makes every run of the account fail, so it
 * is refused where it is set. Offsets such as `+02:00` are not time zones: they ignore
 * daylight saving time.
 */
export const TIME_ZONE_EXAMPLE = 'an IANA time zone name such as Europe/Berlin, America/New_York or UTC';

/** The canonical IANA name of `text` (e.g. `europe/berlin` → `Europe/Berlin`), or null when it is not one. */
export function timeZoneName(text: string): string | null {
  if (!/^[A-Za-z]/.test(text)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: text }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** timeZoneName, or an InvalidField naming `timeZone`. */
export function checkTimeZone(text: string): string {
  const name = timeZoneName(text);
  if (name === null) throw new InvalidField('timeZone', `time zone "${text}" is not known: give ${TIME_ZONE_EXAMPLE}`);
  return name;
}
