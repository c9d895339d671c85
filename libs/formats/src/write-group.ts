import type { ExportCompression, ExportFormat } from '@bulk-export/domain';
import { writeCsvGroup } from './csv';
import { DuckDb } from './duckdb';
import { ChunkTarget, FileGroup } from './group';
import { writeJsonGroup } from './json-lines';
import { writeParquetGroup } from './parquet';
import { writeXmlGroup } from './xml';

/** Writes one file group (event name × day) of the staged table in the export's format. */
export async function writeGroup(
  db: DuckDb,
  format: ExportFormat,
  compression: ExportCompression,
  group: FileGroup,
  target: ChunkTarget,
): Promise<void> {
  switch (format) {
    case 'json':
      return writeJsonGroup(db, group, target);
    case 'csv':
      return writeCsvGroup(db, group, target);
    case 'xml':
      return writeXmlGroup(db, group, target);
    case 'parquet':
      return writeParquetGroup(db, group, { ...target, gzip: false }, compression === 'zstd' ? 'zstd' : compression === 'none' ? 'none' : 'snappy');
  }
}
