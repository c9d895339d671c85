/**
 * formats: how exported files look — the reversible event-name encoding, file and
 * manifest names, the day of an event, the chunked file writer, and each format's
 * serialisation.
 */
export * from './event-name';
export * from './file-name';
export * from './chunk-writer';
export * from './event-day';
export * from './line-files';
export * from './json-lines';
export * from './duckdb';
export * from './group';
export * from './json-structure';
export * from './csv';
export * from './json-number-text';
export * from './xml';
export * from './block-pool';
export * from './parquet';
export * from './write-group';
export * from './event-scan';
