/** Waits `ms`, or less once `stop()` is true (checked every 200 ms). */
export async function sleepUnless(ms: number, stop: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && !stop())
    await new Promise((resolve) => setTimeout(resolve, Math.min(200, until - Date.now())));
}
