/**
 * The HTTP status of a failed storage call: `code` on most of the client's errors, `status`
 * (or the response's) on those of resumable uploads.
 */
export function httpStatus(error: unknown): number | undefined {
  const e = error as { code?: unknown; status?: unknown; response?: { status?: unknown } } | null;
  for (const v of [e?.code, e?.status, e?.response?.status]) if (typeof v === 'number') return v;
  return undefined;
}
