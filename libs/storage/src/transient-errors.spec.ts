import { isTransient, nextTryInMs, retryAfterMs, UploadTimedOut } from './transient-errors';

const httpError = (code: number, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`http ${code}`), { code, response: { status: code, headers } });

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates, capped at a minute', () => {
    expect(retryAfterMs(httpError(429, { 'retry-after': '3' }))).toBe(3000);
    const now = Date.parse('2026-12-02T06:00:00Z');
    expect(retryAfterMs(httpError(503, { 'retry-after': 'Wed, 02 Dec 2026 06:00:07 GMT' }), now)).toBe(7000);
    expect(retryAfterMs(httpError(503, { 'retry-after': '3600' }))).toBe(60_000);
  });

  it('is null without a usable header', () => {
    expect(retryAfterMs(httpError(429))).toBeNull();
    expect(retryAfterMs(httpError(429, { 'retry-after': 'soon' }))).toBeNull();
    expect(retryAfterMs(new Error('x'))).toBeNull();
  });
});

describe('nextTryInMs', () => {
  it('waits what Retry-After asks, else backs off, for transient failures only', () => {
    expect(nextTryInMs(httpError(429, { 'retry-after': '2' }), 1, 5)).toBe(2000);
    expect(nextTryInMs(httpError(503), 3, 5)).toBe(4000);
    expect(nextTryInMs(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 1, 5)).toBe(1000);
    expect(nextTryInMs(new UploadTimedOut('a', 10), 2, 5)).toBe(2000);
    expect(nextTryInMs(httpError(403), 1, 5)).toBeNull();
    expect(nextTryInMs(httpError(412), 1, 5)).toBeNull();
    expect(nextTryInMs(httpError(503), 5, 5)).toBeNull();
  });

  it('knows transient errors', () => {
    expect(isTransient(httpError(500))).toBe(true);
    expect(isTransient(Object.assign(new Error(), { code: '503' }))).toBe(true);
    expect(isTransient(httpError(404))).toBe(false);
    expect(isTransient(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }))).toBe(true);
    expect(isTransient(new Error('Unexpected connection closure'))).toBe(true);
    expect(isTransient(new Error('socket hang up'))).toBe(true);
    expect(isTransient(new Error('No such object: b/o'))).toBe(false);
  });
});
