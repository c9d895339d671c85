import { DuckDBAppender, DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

export type { DuckDBAppender };

export interface DuckDbOptions {
  memoryLimit: string;
  threads: number;
  /** Where DuckDB spills beyond its memory limit. */
  spillDir: string;
  readOnly?: boolean;
}

const UNITS: Record<string, number> = { kb: 1e3, mb: 1e6, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 };

/**
 * One of `parts` equal shares of a memory limit such as `256MB` (DUCKDB_MEMORY_LIMIT), for databases open side by side.
 */
export function shareOfMemoryLimit(limit: string, parts: number): string {
  const m = /^(\d+(?:\.\d+)?)\s*(KB|MB|GB|KiB|MiB|GiB)$/i.exec(limit.trim());
  if (!m) throw new Error(`not a memory limit: ${limit}`);
  return `${Math.floor((Number(m[1]) * UNITS[m[2].toLowerCase()]) / parts / 1024)}KiB`;
}

/** A DuckDB database file with one connection, under a memory limit; spills to `spillDir`. */
export class DuckDb {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    /** Whether closing this also closes the database (false for extra connections). */
    private readonly owner = true,
  ) {}

  static async open(path: string, options: DuckDbOptions): Promise<DuckDb> {
    const instance = await DuckDBInstance.create(path, {
      memory_limit: options.memoryLimit,
      threads: String(options.threads),
      temp_directory: options.spillDir,
      preserve_insertion_order: 'true',
      // DuckDB keeps blocks of the files it reads in a cache of its own (the OS caches them
      // too). Over the hundreds of staged files of a large window that cache made the
      // uploader's memory follow the export: 10M events, JSON 399 -> 312 MB, Parquet 612 -> 411 MB without it.
      enable_external_file_cache: 'false',
      ...(options.readOnly ? { access_mode: 'READ_ONLY' } : {}),
    });
    const connection = await instance.connect();
    // Staged data is many Parquet files, read once per file group: keep their footers.
    await connection.run('SET GLOBAL parquet_metadata_cache = true');
    return new DuckDb(instance, connection);
  }

  /** Another connection to the same database, for work in parallel; closing it leaves the database open. */
  async connect(): Promise<DuckDb> {
    return new DuckDb(this.instance, await this.instance.connect(), false);
  }

  /** Appends rows to `table` on this connection, in bulk (they are in the table once flushed). */
  async appender(table: string): Promise<DuckDBAppender> {
    return this.connection.createAppender(table);
  }

  async run(sql: string): Promise<void> {
    await this.connection.run(sql);
  }

  async rows(sql: string): Promise<unknown[][]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowsJS() as unknown[][];
  }

  async scalar<T>(sql: string): Promise<T> {
    return (await this.rows(sql))[0]?.[0] as T;
  }

  /** Streams a query's rows in chunks (about 2048 rows each) without holding the result. */
  async *stream(sql: string): AsyncGenerator<unknown[][]> {
    const result = await this.connection.stream(sql);
    for await (const rows of result.yieldRowsJs()) yield rows as unknown[][];
  }

  /**
   * Runs `work` for items 0…count-1, `workers` at a time, each worker on its own
   * connection: one item's query runs in DuckDB while JavaScript handles another's. After a
   * failure no further item starts, and the first failure is thrown.
   */
  async forEachInParallel(
    count: number,
    workers: number,
    work: (connection: DuckDb, index: number) => Promise<void>,
  ): Promise<void> {
    const queue = new DuckDbQueue<number>(this, work);
    for (let index = 0; index < count; index++) queue.add(index);
    await queue.finish(workers);
  }

  close(): void {
    this.connection.closeSync();
    if (this.owner) this.instance.closeSync();
  }
}

/**
 * Work items run on their own DuckDB connections, `workers` at a time, which can be added
 * while earlier ones run (the extractor stages each slice as its read completes it, with
 * one worker so the read keeps a core, then raises the count). After a failure no further
 * item starts; the first failure is thrown by `finish` and reported by `failure`.
 */
export class DuckDbQueue<T> {
  private readonly queue: T[] = [];
  private readonly free: DuckDb[] = [];
  private readonly opened: DuckDb[] = [];
  private running = 0;
  private error: unknown = null;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly db: DuckDb,
    private readonly work: (connection: DuckDb, item: T) => Promise<void>,
    private workers = 1,
  ) {}

  /** The first failure, if an item failed. */
  get failure(): unknown {
    return this.error;
  }

  add(item: T): void {
    this.queue.push(item);
    this.pump();
  }

  /** Waits for every item added, with `workers` at a time from now on; closes the connections. */
  async finish(workers: number): Promise<void> {
    this.workers = Math.max(1, workers);
    this.pump();
    await this.settled(() => this.running > 0 || (this.queue.length > 0 && !this.error));
    this.close();
    if (this.error) throw this.error;
  }

  /** Drops the items not started, waits for the running ones and closes the connections. */
  async abort(): Promise<void> {
    this.queue.length = 0;
    await this.settled(() => this.running > 0);
    this.close();
  }

  private async settled(busy: () => boolean): Promise<void> {
    while (busy()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private close(): void {
    for (const connection of this.opened.splice(0)) connection.close();
    this.free.length = 0;
  }

  private pump(): void {
    while (!this.error && this.running < this.workers && this.queue.length > 0) {
      this.running += 1;
      void this.run(this.queue.shift() as T);
    }
  }

  private async run(item: T): Promise<void> {
    try {
      const connection = this.free.pop() ?? (await this.open());
      try {
        await this.work(connection, item);
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

/** Whether DuckDB (its ICU time zones, used when staging) knows the time zone `name`. */
export async function duckDbKnowsTimeZone(name: string): Promise<boolean> {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    try {
      await connection.run(`SELECT timezone($1, TIMESTAMPTZ '1970-01-01 00:00:00+00')`, [name]);
      return true;
    } catch {
      return false;
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}
