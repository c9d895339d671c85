/**
 * A token bucket per key: `perMinute` takes a minute on average, bursts up to the same
 * number. In memory, per request-api replica (so N replicas allow N times as much); that
 * bounds abuse without a shared store. At most `maxKeys` buckets are kept: beyond, the one
 * used least recently goes (a full bucket is what a new key gets anyway), so a flood of
 * new keys cannot reset the buckets of the keys in use.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** 0 when a take may go ahead (and it is taken); otherwise the seconds to wait before the next one. */
  take(key: string, now = Date.now()): number {
    const bucket = this.refilled(key, now);
    // Re-inserted, the key becomes the most recently used (Map keeps insertion order).
    this.buckets.delete(key);
    if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return this.wait(bucket);
  }

  /** Like take, but takes nothing: 0 when a take would go ahead, else the seconds to wait. */
  peek(key: string, now = Date.now()): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return 0;
    const tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * this.rate);
    return tokens >= 1 ? 0 : this.wait({ tokens });
  }

  private get rate(): number {
    return this.perMinute / 60_000;
  }

  private refilled(key: string, now: number): { tokens: number; at: number } {
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * this.rate);
    bucket.at = now;
    return bucket;
  }

  private wait(bucket: { tokens: number }): number {
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.rate / 1000));
  }
}
