/**
 * Runs tasks with at most `limit` in flight: `add` starts one and waits only when that many
 * are running. The first failure is kept; it is thrown by the next `add` and by `drain`, and
 * no later failure goes unhandled.
 */
export class BoundedTasks {
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown = null;

  constructor(private readonly limit: number) {}

  async add(task: () => Promise<void>): Promise<void> {
    if (this.failure) throw this.failure;
    const promise: Promise<void> = task()
      .catch((e: unknown) => {
        this.failure ??= e;
      })
      .finally(() => this.inFlight.delete(promise));
    this.inFlight.add(promise);
    if (this.inFlight.size >= this.limit) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
  }

  /** Waits for every task; throws the first failure. */
  async drain(): Promise<void> {
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
  }
}
