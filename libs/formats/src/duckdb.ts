import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

export interface DuckDbOptions {
  memoryLimit: string;
  threads: number;
  /** Where DuckDB spills beyond its memory limit. */
  spillDir: string;
  readOnly?: boolean;
}

/** A DuckDB database file with one connection, under a memory limit; spills to `spillDir`. */
export class DuckDb {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    /** Whether closing this also closes the database (false for extra connections). */
    private readonly owner = true,
  ) {}

  static async open(path: string, options: DuckDbOptions): Promise<DuckDb> {
    const instance = await DuckDBInstance.create(path, {
      memory_limit: options.memoryLimit,
      threads: String(options.threads),
      temp_directory: options.spillDir,
      preserve_insertion_order: 'true',
      ...(options.readOnly ? { access_mode: 'READ_ONLY' } : {}),
    });
    const connection = await instance.connect();
    // Staged data is many Parquet files, read once per file group: keep their footers.
    await connection.run('SET parquet_metadata_cache = true');
    return new DuckDb(instance, connection);
  }

  /** Another connection to the same database, for work in parallel; closing it leaves the database open. */
  async connect(): Promise<DuckDb> {
    return new DuckDb(this.instance, await this.instance.connect(), false);
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
   * connection (this one and extra ones): one item's query runs in DuckDB while JavaScript
   * handles another's. After a failure no further item starts, and the first failure is thrown.
   */
  async forEachInParallel(count: number, workers: number, work: (connection: DuckDb, index: number) => Promise<void>): Promise<void> {
    let next = 0;
    let failed = false;
    const worker = async (connection: DuckDb) => {
      try {
        while (!failed && next < count) await work(connection, next++);
      } catch (e) {
        failed = true;
        throw e;
      } finally {
        if (connection !== this) connection.close();
      }
    };
    const extra = Math.max(0, Math.min(workers, count) - 1);
    const connections = [this, ...(await Promise.all(Array.from({ length: extra }, () => this.connect())))];
    // Every worker finishes before the database may be closed.
    const results = await Promise.allSettled(connections.map(worker));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  }

  close(): void {
    this.connection.closeSync();
    if (this.owner) this.instance.closeSync();
  }
}
