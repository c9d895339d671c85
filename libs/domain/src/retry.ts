/**
 * When a failed attempt is tried again: after `baseMs`, doubling with each attempt and
 * capped at six hours; null once `maxAttempts` attempts have failed (the run stays failed).
 */
export function nextAttemptAt(failedAttempt: number, maxAttempts: number, baseMs: number, now: number): Date | null {
  if (failedAttempt >= maxAttempts) return null;
  const delay = Math.min(baseMs * 2 ** (failedAttempt - 1), 6 * 60 * 60 * 1000);
  return new Date(now + delay);
}

/** The wait before try `attempt` (1, 2, …) of something retried in-process: `baseMs` doubling, capped at `maxMs`. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}
