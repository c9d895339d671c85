import { nextAttemptAt } from './retry';

describe('nextAttemptAt', () => {
  it('backs off exponentially from the base delay', () => {
    expect(nextAttemptAt(1, 5, 1000, 0)?.getTime()).toBe(1000);
    expect(nextAttemptAt(2, 5, 1000, 0)?.getTime()).toBe(2000);
    expect(nextAttemptAt(4, 5, 1000, 0)?.getTime()).toBe(8000);
  });
  it('gives up after the last attempt', () => {
    expect(nextAttemptAt(5, 5, 1000, 0)).toBeNull();
    expect(nextAttemptAt(1, 1, 1000, 0)).toBeNull();
  });
  it('never waits more than six hours', () => {
    expect(nextAttemptAt(30, 100, 60_000, 0)?.getTime()).toBe(6 * 3600 * 1000);
  });
});
