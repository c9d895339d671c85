import type { FileHandle } from 'node:fs/promises';
import { sqlString } from '@bulk-export/duckdb';

/**
 * Line files that DuckDB's CSV reader reads in parallel, fields apart by 0x01 and no quoting: RawSink's records
 * (`raw`) and the uploader's events files of a CSV or Parquet group (staged-group.ts). A field holds no line end, 0x01
 * or NUL (those writers encode or leave out what would).
 */
export const FIELD_SEPARATOR = 0x01;

/** SQL reading line files in order, with `columns` (name → DuckDB type), lines of up to `maxLineBytes`. */
export function readSeparatedLinesSql(
  paths: readonly string[],
  columns: Record<string, string>,
  maxLineBytes: number,
  more = '',
): string {
  const types = Object.entries(columns)
    .map(([name, type]) => `${sqlString(name)}: ${sqlString(type)}`)
    .join(', ');
  return `read_csv([${paths.map(sqlString).join(', ')}], delim = '\x01', quote = '', escape = '', header = false,
      new_line = '\\n', auto_detect = false, strict_mode = true, max_line_size = ${maxLineBytes},
      buffer_size = ${2 * maxLineBytes}, columns = {${types}}${more ? `, ${more}` : ''})`;
}

/** Writes all of `bytes` at the file's position (a write may take fewer bytes than given). */
export async function writeAll(file: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;)
    written += (await file.write(bytes, written, bytes.length - written)).bytesWritten;
}
