/**
 * Redaction is done by the logger itself, so no caller has to remember it: any field whose
 * name suggests a secret, and any string that looks like a private key, bearer token or a
 * URL with a password, is replaced before a line is written.
 */
const SECRET_FIELD =
  /(private_?key|secret|password|passwd|token|authorization|api_?key|service_?key|credentials?_?json|kek)/i;
const PEM_BLOCK = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g;
const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s@]+:)[^@\s/]+@/gi;

export const REDACTED = '[redacted]';

export function redactString(value: string): string {
  return value.replace(PEM_BLOCK, REDACTED).replace(BEARER, `$1${REDACTED}`).replace(URL_PASSWORD, `$1${REDACTED}@`);
}

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[deep]';
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redactString(value.message),
      stack: value.stack ? redactString(value.stack) : undefined,
    };
  }
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    out[key] = SECRET_FIELD.test(key) ? REDACTED : redact(v, depth + 1);
  }
  return out;
}
