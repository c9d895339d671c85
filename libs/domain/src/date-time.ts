/**
 * An RFC 3339 date-time with an offset: `2026-11-28T10:00:00Z`, `2026-11-28T10:00:00.5+02:00`.
 * The one reader of instants that come from outside. ISO 8601 allows much more (week dates
 * `2026-W48-1`, ordinal dates `2026-330`, the basic format `20261128T100000Z`, hour-only
 * times, decimal commas) that `Date.parse` cannot read, so "valid ISO 8601" is not enough:
 * a date that passes validation must be one we can turn into an instant.
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** What an RFC 3339 date-time looks like, for messages. */
export const DATE_TIME_FORMAT = 'an RFC 3339 date-time with an offset, e.g. 2026-11-28T10:00:00Z';

/** The instant (epoch milliseconds) of an RFC 3339 date-time, or null when `text` is not one. */
export function parseDateTime(text: string): number | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  // Leap seconds (60) are refused: a JavaScript instant cannot hold one.
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
    return null;
  let offsetMinutes = 0;
  if (!m[8]) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  // setUTCFullYear, not Date.UTC, which reads years 0–99 as 1900–1999.
  const instant = new Date(0);
  instant.setUTCFullYear(year, month - 1, day);
  instant.setUTCHours(hour, minute, second, millis);
  return instant.getTime() - offsetMinutes * 60_000;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
