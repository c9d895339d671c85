/**
 * formats: how exported files look, by concern —
 * - naming/: the reversible event-name encoding, file and manifest names, the day of an event;
 * - json/: scanning JSON bytes (events of a raw message, the structure of a block, numbers as written);
 * - xml/: the XML of an event, and the transcoder from JSON bytes;
 * - csv/: the CSV line of an event, transcoded from JSON bytes;
 * - chunking/: files cut at a size limit, spooled blocks of rows, the worker threads for blocks;
 * - writers/: one writer per format, and writeGroup choosing among them.
 * DuckDB itself is reached through `@bulk-export/duckdb`.
 */
export * from './naming/event-name';
export * from './naming/file-name';
export * from './naming/event-day';
export * from './json/event-scan';
export * from './json/json-structure';
export * from './json/json-number-text';
export * from './xml/xml-event';
export * from './csv/csv-transcoder';
export * from './chunking/chunk-writer';
export * from './chunking/line-files';
export * from './chunking/block-pool';
export * from './chunking/encoded-blocks';
export * from './writers/group';
export * from './writers/json-lines';
export * from './writers/csv';
export * from './writers/xml';
export * from './writers/parquet';
export * from './writers/write-group';
