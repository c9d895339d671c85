import { DuckDb } from '@bulk-export/duckdb';
import {
  ChunkTarget,
  FileGroup,
  GroupFormat,
  jsonGroupBlocks,
  jsonHeader,
  SpooledBlock,
  writeGroup,
  writeLineBlocks,
} from '@bulk-export/formats';
import { stagedViewSql } from './staged-events';
import { StagedLinesReader } from './staged-lines';
import { isStagedLines } from './staging';

/**
 * Writes one file group from its staged files (`paths`, in slice order) in the export's format:
 * the Parquet slices through DuckDB (the temporary view `staged` on `db`), the slices staged as
 * lines (a JSON export's: see staged-lines.ts) as they are, each slice's lines in its turn, so
 * the files hold the group's events in the order of the slices either way.
 */
export async function writeStagedGroup(
  db: DuckDb,
  how: GroupFormat,
  group: FileGroup,
  paths: readonly string[],
  target: ChunkTarget,
): Promise<void> {
  if (!paths.some(isStagedLines)) {
    await db.run(stagedViewSql([...paths], { temporary: true }));
    return writeGroup(db, how, group, target);
  }
  if (how.format !== 'json' || how.records !== 'events')
    throw new Error(`internal error: slices staged as JSON lines cannot be written as ${how.format} ${how.records}`);
  await writeLineBlocks(target, jsonBlocks(db, group, paths, `${target.pathOf(0)}.spool`), jsonHeader(group.eventName));
}

/** The group's JSON lines: each run of Parquet slices in one query, each slice of lines read as it is. */
async function* jsonBlocks(
  db: DuckDb,
  group: FileGroup,
  paths: readonly string[],
  spool: string,
): AsyncGenerator<SpooledBlock> {
  const lines = new StagedLinesReader();
  let parquet: string[] = [];
  for (const path of [...paths, null]) {
    if (path !== null && !isStagedLines(path)) {
      parquet.push(path);
      continue;
    }
    if (parquet.length > 0) {
      await db.run(stagedViewSql(parquet, { temporary: true }));
      yield* jsonGroupBlocks(db, group, 'events', spool);
      parquet = [];
    }
    if (path !== null) yield* lines.blocks(path, group);
  }
}
