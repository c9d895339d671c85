import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppConfig } from '@bulk-export/config';
import { DuckDb } from '@bulk-export/duckdb';

/**
 * The uploader's one DuckDB database: every write task gets a connection of its own (its
 * `staged` view is a temporary one), so the tasks run side by side under one memory limit
 * (DUCKDB_MEMORY_LIMIT) and share the footers of the staged files they read (a run's groups
 * read the same files): a database per task read them all again for each group.
 */
@Injectable()
export class UploaderDuckDb implements OnApplicationShutdown {
  private db: Promise<DuckDb> | null = null;

  constructor(private readonly config: AppConfig) {}

  /** A connection of its own; closing it leaves the database open. */
  async connect(): Promise<DuckDb> {
    this.db ??= this.open().catch((e: unknown) => {
      this.db = null;
      throw e;
    });
    return (await this.db).connect();
  }

  async onApplicationShutdown(): Promise<void> {
    const db = this.db;
    this.db = null;
    (await db?.catch(() => null))?.close();
  }

  private async open(): Promise<DuckDb> {
    const spillDir = join(this.config.STAGING_DIR, 'uploader-spill');
    await mkdir(spillDir, { recursive: true });
    // One thread: a statement on one thread writes its rows in order without holding finished
    // batches back for a slower thread, which ran CSV's COPY out of memory under 256MB.
    // WRITE_TASKS_AT_ONCE statements run at once, each on its own connection.
    return DuckDb.open(':memory:', { memoryLimit: this.config.DUCKDB_MEMORY_LIMIT, threads: 1, spillDir });
  }
}
