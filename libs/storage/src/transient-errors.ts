/** Most a Retry-After is waited for, whatever a server asks. */
const MAX_RETRY_AFTER_MS = 60_000;
const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UPLOAD_TIMED_OUT',
  // A request body's stream closed before it ended (a connection dropped mid-upload).
  'ERR_STREAM_PREMATURE_CLOSE',
]);
/** What the GCS client's own retry rule takes as a dropped connection, by message (lower case). */
const TRANSIENT_MESSAGES = [
  'connection reset',
  'socket hang up',
  'unexpected connection closure',
  'socket connection timeout',
  'premature close',
];

/**
 * An upload that went the request timeout (GCS_REQUEST_TIMEOUT_MS) without sending a piece of its file or, once all
 * were sent, without an answer: it is tried again.
 */
export class UploadTimedOut extends Error {
  readonly code = 'UPLOAD_TIMED_OUT';
  constructor(objectName: string, ms: number) {
    super(`the upload of ${objectName} made no progress and got no answer for ${ms} ms`);
    this.name = 'UploadTimedOut';
  }
}

type ErrorLike =
  | { code?: unknown; status?: unknown; response?: { status?: unknown; headers?: Record<string, unknown> } }
  | null
  | undefined;

/**
 * The wait a server asked for with Retry-After (seconds or an HTTP date), capped at a minute; null when it asked none.
 */
export function retryAfterMs(error: unknown, now = Date.now()): number | null {
  const value = (error as ErrorLike)?.response?.headers?.['retry-after'];
  if (typeof value !== 'string' || value.trim() === '') return null;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(ms)) return null;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/**
 * Whether a failed storage request may succeed when sent again: 408, 429, 5xx, a reset, refused or dropped
 * connection, a timeout.
 */
export function isTransient(error: unknown): boolean {
  const e = error as ErrorLike;
  for (const v of [e?.code, e?.status, e?.response?.status]) {
    if (typeof v === 'number' && TRANSIENT_STATUSES.has(v)) return true;
    if (typeof v === 'string' && (TRANSIENT_CODES.has(v) || TRANSIENT_STATUSES.has(Number(v)))) return true;
  }
  const message = error instanceof Error ? error.message.toLowerCase() : '';
  return TRANSIENT_MESSAGES.some((m) => message.includes(m));
}

/**
 * The wait before try `attempt + 1` of a request that failed with `error`: what the server
 * asked for with Retry-After, else 1 s doubling to 16 s; null when the error is not
 * transient or `attempt` reached `maxAttempts`.
 */
export function nextTryInMs(error: unknown, attempt: number, maxAttempts: number, now = Date.now()): number | null {
  if (attempt >= maxAttempts || !isTransient(error)) return null;
  return retryAfterMs(error, now) ?? Math.min(16_000, 1000 * 2 ** (attempt - 1));
}
