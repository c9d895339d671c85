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
    return new DuckDb(instance, await instance.connect());
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

  close(): void {
    this.connection.closeSync();
    if (this.owner) this.instance.closeSync();
  }
}
