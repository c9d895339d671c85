import { MAX_WINDOW_AGE_DAYS } from './export-options';
import { WindowInFuture, WindowReversed, WindowTooOld } from './errors';

/** A half-open interval [start, end) of Kafka capture time, in epoch milliseconds. */
export interface Window {
  readonly start: number;
  readonly end: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Clock skew tolerated between the caller and us when a window ends "now". */
const FUTURE_SKEW_MS = 60_000;

/**
 * A one-time export's window must be non-empty, start inside the last 45 days and not end
 * in the future (a window is exported once it has closed).
 */
export function checkOneTimeWindow(window: Window, now: number): Window {
  if (!(window.start < window.end)) {
    throw new WindowReversed('`from` must be earlier than `to`', 'from');
  }
  if (window.start < now - MAX_WINDOW_AGE_DAYS * DAY_MS) {
    throw new WindowTooOld(`\`from\` must lie inside the last ${MAX_WINDOW_AGE_DAYS} days`, 'from');
  }
  if (window.end > now + FUTURE_SKEW_MS) {
    throw new WindowInFuture('`to` must not be in the future', 'to');
  }
  return window;
}

/** Whether a window may be emitted: it has closed and the grace for late messages has passed. */
export function isWindowDue(window: Window, now: number, graceMs: number): boolean {
  return window.end + graceMs <= now;
}

/** yyyymmdd of an instant in a time zone (IANA name, e.g. "Europe/Berlin"). */
export function formatDay(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}${get('month')}${get('day')}`;
}

/** A recurring export's start must lie inside the last 45 days and not in the future. */
export function checkRecurringStart(startAt: number, now: number): number {
  if (startAt < now - MAX_WINDOW_AGE_DAYS * DAY_MS) {
    throw new WindowTooOld(`\`startAt\` must lie inside the last ${MAX_WINDOW_AGE_DAYS} days`, 'startAt');
  }
  if (startAt > now + FUTURE_SKEW_MS) throw new WindowInFuture('`startAt` must not be in the future', 'startAt');
  return startAt;
}

/**
 * The windows of a recurring export that are due now, oldest first: each starts where the
 * previous one ended (`lastEnd`, or the export's start), lasts `intervalMs`, and is due
 * once it has closed and the grace has passed. At most `limit`.
 */
export function dueWindows(
  firstStart: number,
  lastEnd: number | null,
  intervalMs: number,
  now: number,
  graceMs: number,
  limit: number,
): Window[] {
  const windows: Window[] = [];
  let start = lastEnd ?? firstStart;
  while (windows.length < limit) {
    const window = { start, end: start + intervalMs };
    if (!isWindowDue(window, now, graceMs)) break;
    windows.push(window);
    start = window.end;
  }
  return windows;
}
