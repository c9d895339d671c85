/** SQLSTATE classes and codes that mean Postgres cannot be reached or is going away, not that a query was wrong. */
const UNAVAILABLE_SQLSTATES = /^(08|57P0[1-4]|53300)/;
const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const UNAVAILABLE_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Connection terminated due to connection timeout/i,
  /client has encountered a connection error/i,
  /Client was closed and is not queryable/i,
];

/**
 * Whether `error` (or its `driverError`/`cause`/AggregateError parts) says that Postgres is
 * down or unreachable, as opposed to a query that failed on its merits: the REST API answers
 * it with 503 and Retry-After.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && (UNAVAILABLE_NODE_CODES.has(e.code) || UNAVAILABLE_SQLSTATES.test(e.code)))
    return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.some((m) => m.test(e.message as string))) return true;
  const parts = [e.driverError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])];
  return parts.some((part) => part !== error && isDatabaseUnavailable(part, depth + 1));
}
