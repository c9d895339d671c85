import { DuckDb, sqlString } from '@bulk-export/duckdb';
import { jsonPointer } from '../json/json-structure';

/**
 * CSV lines as DuckDB's JSON functions make them: the reference CsvTranscoder is checked against (and what the CSV
 * format wrote before it). Each cell is `json_extract(event, pointer)` as text: empty for absent or null, a string
 * unescaped with a formula neutralised, anything else as DuckDB prints JSON; then RFC 4180 quoting.
 */
const CSV_MACROS = String.raw`
  CREATE OR REPLACE TEMP MACRO csv_text(v) AS CASE
    WHEN v IS NULL OR json_type(v) = 'NULL' THEN ''
    WHEN json_type(v) = 'VARCHAR' THEN
      CASE WHEN regexp_matches(v ->> '$', '^[=+\-@\t\r]') THEN '''' || (v ->> '$') ELSE v ->> '$' END
    ELSE v::VARCHAR END;
  CREATE OR REPLACE TEMP MACRO csv_quote(t) AS
    CASE WHEN regexp_matches(t, '[",\r\n]') THEN '"' || replace(t, '"', '""') || '"' ELSE t END;`;

/** The CSV line (with CRLF) of each event (JSON text), with the columns `paths`, by DuckDB. */
export async function duckDbCsvLines(db: DuckDb, events: string[], paths: string[][]): Promise<string[]> {
  await db.run(CSV_MACROS);
  const pointers = `[${paths.map((p) => sqlString(jsonPointer(p))).join(', ')}]`;
  const cells = paths.map((_, i) => `csv_quote(csv_text(v[${i + 1}]))`).join(', ');
  const lines: string[] = [];
  // A few hundred events per query: the SQL holds them as literals.
  for (let from = 0; from < events.length; from += 500) {
    const rows = events
      .slice(from, from + 500)
      .map((e, i) => `(${i}, ${sqlString(e)})`)
      .join(', ');
    const result = await db.rows(
      `SELECT concat_ws(',', ${cells}) || chr(13) || chr(10) FROM (
         SELECT i, json_extract(event, ${pointers}) AS v FROM (VALUES ${rows}) t(i, event)) ORDER BY i`,
    );
    for (const [line] of result) lines.push(line as string);
  }
  return lines;
}
