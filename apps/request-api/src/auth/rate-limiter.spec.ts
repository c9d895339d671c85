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
