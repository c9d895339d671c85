/**
 * Polls `probe` until it returns a value that is not undefined/false, or fails after
 * `timeoutMs` with `what` and the last error. Tests wait on conditions, never on time.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 60_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Resolves once the clock has moved past `ms` (a boundary between produced batches). */
export async function clockPast(ms: number): Promise<void> {
  await waitFor(`clock past ${ms}`, () => Date.now() > ms, { intervalMs: 2 });
}
