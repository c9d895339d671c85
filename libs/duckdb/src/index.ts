/**
 * duckdb: access to DuckDB — a database under a memory limit with its connections, a queue of
 * work on parallel connections, SQL string literals, and whether DuckDB knows a time zone.
 */
export * from './duckdb';
export * from './sql-string';
