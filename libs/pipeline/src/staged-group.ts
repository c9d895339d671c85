import { DuckDb } from '@bulk-export/duckdb';
import {
  ChunkTarget,
  eventBlocks,
  FileGroup,
  GroupFormat,
  jsonGroupBlocks,
  jsonHeader,
  SpooledBlock,
  writeGroup,
  writeLineBlocks,
  writeXmlBlocks,
} from '@bulk-export/formats';
import { stagedViewSql } from './staged-events';
import { LinesForm, StagedLinesReader } from './staged-lines';
import { isStagedLines } from './staging';

/**
 * Writes one file group from its staged files (`paths`, in slice order) in the export's format:
 * the Parquet slices through DuckDB (the temporary view `staged` on `db`), the slices staged as
 * lines (a JSON or XML export's: see staged-lines.ts) as they are, each slice's lines in its turn,
 * so the files hold the group's events in the order of the slices either way.
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
  const spool = `${target.pathOf(0)}.spool`;
  if (how.format === 'json' && how.records === 'events') {
    const blocks = groupBlocks(db, group, paths, 'json', () => jsonGroupBlocks(db, group, 'events', spool));
    return writeLineBlocks(target, blocks, jsonHeader(group.eventName));
  }
  if (how.format === 'xml' && how.records === 'events') {
    const blocks = groupBlocks(db, group, paths, 'message', () => eventBlocks(db, group, spool));
    return writeXmlBlocks(blocks, target, { layout: how.xmlLayout, records: how.records });
  }
  throw new Error(`internal error: slices staged as lines cannot be written as ${how.format} ${how.records}`);
}

/**
 * The group's lines in slice order: each run of Parquet slices in one query (`fromStaged`, over the
 * view `staged` of those slices), each slice of lines (in `form`) read as it is.
 */
async function* groupBlocks(
  db: DuckDb,
  group: FileGroup,
  paths: readonly string[],
  form: LinesForm,
  fromStaged: () => AsyncIterable<SpooledBlock>,
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
      yield* fromStaged();
      parquet = [];
    }
    if (path !== null) yield* lines.blocks(path, form, group);
  }
}
