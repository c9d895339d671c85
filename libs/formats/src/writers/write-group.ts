import { DuckDb } from '@bulk-export/duckdb';
import { ChunkTarget } from '../chunking/chunk-writer';
import { writeCsvGroup } from './csv';
import { FileGroup, GroupFormat } from './group';
import { writeJsonGroup } from './json-lines';
import { writeParquetGroup } from './parquet';
import { writeXmlGroup } from './xml';

/** Writes one file group (event name × day) of the staged table in the export's format. */
export async function writeGroup(db: DuckDb, how: GroupFormat, group: FileGroup, target: ChunkTarget): Promise<void> {
  switch (how.format) {
    case 'json':
      return writeJsonGroup(db, group, target, how.records);
    case 'csv':
      return writeCsvGroup(db, group, target, how.records);
    case 'xml':
      return writeXmlGroup(db, group, target, { layout: how.xmlLayout, records: how.records });
    case 'parquet':
      return writeParquetGroup(
        db,
        group,
        { ...target, gzip: false },
        how.compression === 'zstd' ? 'zstd' : how.compression === 'none' ? 'none' : 'snappy',
        how.records,
      );
  }
}
