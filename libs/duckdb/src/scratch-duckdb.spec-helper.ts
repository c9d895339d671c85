import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDb } from './duckdb';

/** A test's in-memory DuckDB (256MB) and scratch folder, fresh for each test of the calling suite. */
export interface ScratchDuckDb {
  db: DuckDb;
  dir: string;
}

export function useScratchDuckDb(prefix: string, threads = 2): ScratchDuckDb {
  const scratch = {} as ScratchDuckDb;
  beforeEach(async () => {
    scratch.dir = mkdtempSync(join(tmpdir(), prefix));
    scratch.db = await DuckDb.open(':memory:', { memoryLimit: '256MB', threads, spillDir: scratch.dir });
  });
  afterEach(() => {
    scratch.db.close();
    rmSync(scratch.dir, { recursive: true, force: true });
  });
  return scratch;
}
