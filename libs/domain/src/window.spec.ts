import { checkOneTimeWindow, isWindowDue } from './window';
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
