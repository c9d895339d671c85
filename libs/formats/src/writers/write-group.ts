import { DuckDb } from '@bulk-export/duckdb';
import { ChunkTarget } from '../chunking/chunk-writer';
import { writeCsvGroup } from './csv';
import { FileGroup, GroupEvents, GroupFormat } from './group';
import { writeJsonGroup } from './json-lines';
import { writeParquetGroup } from './parquet';
import { eventBlocks, writeXmlGroup } from './xml';

/**
 * Writes one file group (event name × day) of the staged table in the export's format. `events`: the group's event
 * lines with their row ids, for Parquet, when the caller has them at hand (by default spooled from `staged`).
 */
export async function writeGroup(
  db: DuckDb,
  how: GroupFormat,
  group: FileGroup,
  target: ChunkTarget,
  events?: GroupEvents,
): Promise<void> {
  switch (how.format) {
    case 'json':
      return writeJsonGroup(db, group, target, how.records);
    case 'csv':
      return writeCsvGroup(() => eventBlocks(db, group, `${target.pathOf(0)}.spool`), target, how.records);
    case 'xml':
      return writeXmlGroup(db, group, target, { layout: how.xmlLayout, records: how.records });
    case 'parquet':
      return writeParquetGroup(
        db,
        group,
        { ...target, gzip: false },
        how.compression === 'zstd' ? 'zstd' : how.compression === 'none' ? 'none' : 'snappy',
        how.records,
        events,
      );
  }
}
