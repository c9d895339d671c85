import { DuckDb } from '@bulk-export/formats';
import type { RawSlice } from './raw-sink';

/**
 * Stages slices of `raw` as they come, while the read that produces them goes on: up to
 * `workers` at a time, each on its own DuckDB connection. The extractor starts with one
 * worker, so staging overlaps the read without taking both cores from it, and raises the
 * count once the read is done. The first failure stops further slices and is thrown by
 * `finish` (and reported by `failure`, so the read can stop early).
 */
export class SliceStager {
  private readonly queue: RawSlice[] = [];
  private readonly free: DuckDb[] = [];
  private readonly opened: DuckDb[] = [];
  private running = 0;
  private error: unknown = null;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly db: DuckDb,
    private readonly stage: (connection: DuckDb, slice: RawSlice) => Promise<void>,
    private workers = 1,
  ) {}

  /** The first failure, if a slice failed. */
  get failure(): unknown {
    return this.error;
  }

  add(slice: RawSlice): void {
    this.queue.push(slice);
    this.pump();
  }

  /** Waits for every slice added, with `workers` at a time from now on; closes the connections. */
  async finish(workers: number): Promise<void> {
    this.workers = Math.max(1, workers);
    this.pump();
    while (this.running > 0 || (this.queue.length > 0 && !this.error)) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.close();
    if (this.error) throw this.error;
  }

  /** Drops the slices not started, waits for the running ones and closes the connections. */
  async abort(): Promise<void> {
    this.queue.length = 0;
    while (this.running > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.close();
  }

  private close(): void {
    for (const connection of this.opened.splice(0)) connection.close();
    this.free.length = 0;
  }

  private pump(): void {
    while (!this.error && this.running < this.workers && this.queue.length > 0) {
      this.running += 1;
      void this.run(this.queue.shift() as RawSlice);
    }
  }

  private async run(slice: RawSlice): Promise<void> {
    try {
      const connection = this.free.pop() ?? (await this.open());
      try {
        await this.stage(connection, slice);
      } finally {
        this.free.push(connection);
      }
    } catch (e) {
      this.error ??= e;
    } finally {
      this.running -= 1;
      this.pump();
      for (const wake of this.waiters.splice(0)) wake();
    }
  }

  private async open(): Promise<DuckDb> {
    const connection = await this.db.connect();
    this.opened.push(connection);
    return connection;
  }
}
