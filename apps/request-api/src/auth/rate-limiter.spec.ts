import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('allows a burst up to the limit, then asks to wait', () => {
    const limiter = new RateLimiter(3);
    expect([limiter.take('k', 0), limiter.take('k', 0), limiter.take('k', 0)]).toEqual([0, 0, 0]);
    expect(limiter.take('k', 0)).toBe(20); // one token every 20 s at 3 a minute
  });
  it('refills over time and keeps keys apart', () => {
    const limiter = new RateLimiter(60);
    for (let i = 0; i < 60; i++) limiter.take('a', 0);
    expect(limiter.take('a', 0)).toBeGreaterThan(0);
    expect(limiter.take('b', 0)).toBe(0);
    expect(limiter.take('a', 1000)).toBe(0);
  });
});

describe('RateLimiter, bounded', () => {
  it('drops the bucket used least recently when full, not the others', () => {
    const limiter = new RateLimiter(2, 3);
    limiter.take('busy', 0);
    limiter.take('busy', 0);
    expect(limiter.take('busy', 0)).toBeGreaterThan(0);
    // A flood of new keys: only the least recently used buckets go; 'busy' is used in between.
    for (let i = 0; i < 10; i++) {
      limiter.take(`new-${i}`, 0);
      expect(limiter.take('busy', 0)).toBeGreaterThan(0);
    }
  });

  it('peeks without taking', () => {
    const limiter = new RateLimiter(1);
    expect(limiter.peek('k', 0)).toBe(0);
    expect(limiter.take('k', 0)).toBe(0);
    expect(limiter.peek('k', 0)).toBe(60);
    expect(limiter.peek('k', 0)).toBe(60);
    expect(limiter.peek('k', 60_000)).toBe(0);
    expect(limiter.take('k', 60_000)).toBe(0);
  });
});
