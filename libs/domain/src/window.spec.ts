import { checkOneTimeWindow, checkRecurringStart, dueWindows, formatDay, isWindowDue } from './window';
import { WindowInFuture, WindowReversed, WindowTooOld } from './errors';

const DAY = 86_400_000;
const now = Date.UTC(2026, 10, 28, 12);

describe('checkOneTimeWindow', () => {
  it('accepts a window inside the last 45 days', () => {
    expect(checkOneTimeWindow({ start: now - 45 * DAY, end: now }, now)).toEqual({ start: now - 45 * DAY, end: now });
  });
  it('refuses a window that starts more than 45 days ago, naming `from`', () => {
    expect(() => checkOneTimeWindow({ start: now - 45 * DAY - 1, end: now }, now)).toThrow(WindowTooOld);
    try {
      checkOneTimeWindow({ start: now - 46 * DAY, end: now }, now);
    } catch (e) {
      expect((e as WindowTooOld).field).toBe('from');
    }
  });
  it('refuses an empty or reversed window', () => {
    expect(() => checkOneTimeWindow({ start: now - 10, end: now - 10 }, now)).toThrow(WindowReversed);
    expect(() => checkOneTimeWindow({ start: now, end: now - DAY }, now)).toThrow(WindowReversed);
  });
  it('refuses a window that ends in the future, beyond clock skew', () => {
    expect(() => checkOneTimeWindow({ start: now - DAY, end: now + 61_000 }, now)).toThrow(WindowInFuture);
    expect(checkOneTimeWindow({ start: now - DAY, end: now + 59_000 }, now).end).toBe(now + 59_000);
  });
});

describe('isWindowDue', () => {
  it('waits for the grace period after the window closes', () => {
    expect(isWindowDue({ start: 0, end: 1000 }, 1499, 500)).toBe(false);
    expect(isWindowDue({ start: 0, end: 1000 }, 1500, 500)).toBe(true);
  });
});

describe('dueWindows', () => {
  const H = 3_600_000;
  it('continues where the last window ended, without gap or overlap, oldest first', () => {
    expect(dueWindows(0, 4 * H, 4 * H, 13 * H, 0, 10)).toEqual([
      { start: 4 * H, end: 8 * H },
      { start: 8 * H, end: 12 * H },
    ]);
  });
  it('starts at the export start and waits for the grace', () => {
    expect(dueWindows(100, null, 4 * H, 100 + 4 * H + 999, 1000, 10)).toEqual([]);
    expect(dueWindows(100, null, 4 * H, 100 + 4 * H + 1000, 1000, 10)).toEqual([{ start: 100, end: 100 + 4 * H }]);
  });
  it('emits a bounded number at once when catching up', () => {
    expect(dueWindows(0, null, H, 100 * H, 0, 3)).toHaveLength(3);
  });
});

describe('checkRecurringStart', () => {
  it('accepts now and the last 45 days, refuses older or future starts', () => {
    expect(checkRecurringStart(now - 45 * DAY, now)).toBe(now - 45 * DAY);
    expect(() => checkRecurringStart(now - 46 * DAY, now)).toThrow(WindowTooOld);
    expect(() => checkRecurringStart(now + DAY, now)).toThrow(WindowInFuture);
  });
});

describe('formatDay', () => {
  it('gives the day in the time zone', () => {
    const instant = new Date(Date.UTC(2026, 10, 28, 23, 30));
    expect(formatDay(instant, 'UTC')).toBe('20261128');
    expect(formatDay(instant, 'Europe/Berlin')).toBe('20261129');
    expect(formatDay(instant, 'America/New_York')).toBe('20261128');
  });
});
