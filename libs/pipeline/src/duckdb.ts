import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { AppConfig } from '@bulk-export/config';

/** A DuckDB database file with one connection, under the service's memory limit; spills next to the file. */
export class DuckDb {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  static async open(path: string, config: AppConfig, options: { readOnly?: boolean; spillDir: string }): Promise<DuckDb> {
    const instance = await DuckDBInstance.create(path, {
      memory_limit: config.DUCKDB_MEMORY_LIMIT,
      threads: String(config.DUCKDB_THREADS),
      temp_directory: options.spillDir,
      preserve_insertion_order: 'false',
      ...(options.readOnly ? { access_mode: 'READ_ONLY' } : {}),
    });
    return new DuckDb(instance, await instance.connect());
  }

  async run(sql: string): Promise<void> {
    await this.connection.run(sql);
  }

  async scalar<T>(sql: string): Promise<T> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowsJS()[0]?.[0] as T;
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
