/** The longest wait between two attempts of a delivery. */
const MAX_DELAY_MS = 60 * 60 * 1000;

/**
 * When a delivery that failed its `failedAttempts`-th attempt is tried again: after `baseMs`,
 * doubling with each attempt (at most an hour), but never later than `retryForMs` after the
 * delivery was created (one last attempt at that deadline); null once the deadline has passed
 * (the delivery is `failed`).
 */
export function nextDeliveryAttemptAt(
  failedAttempts: number,
  createdAt: number,
  now: number,
  baseMs: number,
  retryForMs: number,
): Date | null {
  const deadline = createdAt + retryForMs;
  if (now >= deadline) return null;
  const delay = Math.min(baseMs * 2 ** Math.min(failedAttempts - 1, 30), MAX_DELAY_MS);
  return new Date(Math.min(now + delay, deadline));
}
