import { eventDaySql, MAX_EVENT_NAME_BYTES, sqlString } from '@bulk-export/formats';

/**
 * The staging schema shared by the extractor (writes) and the uploader (reads).
 *
 * The extractor's `raw` (see RawSink) holds the Kafka messages exactly as read. One
 * statement classifies them and writes them to the staged Parquet file the uploader opens
 * as the view `staged` (Parquet, in row groups of 16k rows: DuckDB's own tables took
 * twice the memory to write):
 *
 * - `event`: the event as JSON text (for events, the message itself, never re-serialised;
 *   for profiles, `{"eventName":"profiles","ts":…,"profile":…}`);
 * - `event_name`, `day` (yyyymmdd): the file group, NULL for a rejected message;
 * - `reason`: why a message is not usable (then `event` is the message as read, for the
 *   dead-letter topic), or NULL;
 * - `partition`, `offset`, `capture_ms`, `key`: where Kafka had it;
 * - `row_id` (in the view): the row's position in the file.
 *
 * Events are staged in the order `raw` lists them, (partition, offset), without a sort:
 * sorting the whole export would take memory that grows with it. The uploader reads a
 * group with a filter, which keeps that order. Profiles (deduplicated per key, far fewer)
 * are sorted by (partition, offset).
 */

/**
 * Each event is parsed by three cheap passes that materialise nothing large: validity,
 * the types of the fields that must be objects, and the two short strings needed (name
 * and ts). CASE evaluates each test only on the rows that passed the previous ones.
 */
const EVENT_FIELDS = `CASE WHEN value IS NOT NULL AND json_valid(value)
    THEN json_type(value, ['$', '$.eventName', '$.profile', '$.deviceInfo', '$.eventProps']) END AS types,
  CASE WHEN value IS NOT NULL AND json_valid(value) THEN json_extract_string(value, ['$.eventName', '$.ts']) END AS strings`;

const EVENT_REJECT_REASON = `CASE
  WHEN value IS NULL OR value = '' THEN 'empty message'
  WHEN types IS NULL THEN 'not valid JSON'
  WHEN types[1] <> 'OBJECT' THEN 'not a JSON object'
  WHEN types[2] IS DISTINCT FROM 'VARCHAR' THEN 'eventName is missing or not a string'
  WHEN strings[1] = '' THEN 'eventName is empty'
  WHEN strlen(strings[1]) > ${MAX_EVENT_NAME_BYTES} THEN 'eventName is longer than ${MAX_EVENT_NAME_BYTES} bytes'
  WHEN contains(strings[1], chr(0)) THEN 'eventName contains a NUL character'
  WHEN coalesce(types[3], 'OBJECT') NOT IN ('OBJECT', 'NULL') THEN 'profile is not an object'
  WHEN coalesce(types[4], 'OBJECT') NOT IN ('OBJECT', 'NULL') THEN 'deviceInfo is not an object'
  WHEN coalesce(types[5], 'OBJECT') NOT IN ('OBJECT', 'NULL') THEN 'eventProps is not an object'
  ELSE NULL END`;

/** A profile message: key = identity, value = the profile object; a null value (tombstone) deletes it. */
const PROFILE_REJECT_REASON = `CASE
  WHEN key IS NULL OR key = '' THEN 'profile message has no key (the identity)'
  WHEN value IS NULL THEN NULL
  WHEN NOT json_valid(value) THEN 'not valid JSON'
  WHEN json_type(value) <> 'OBJECT' THEN 'not a JSON object'
  ELSE NULL END`;

/**
 * The staged rows of an events export, from `raw`, keeping only `eventNames` when given
 * (rejected messages are always kept, for the dead-letter topic).
 */
export function stageEventsSql(timeZone: string, eventNames: string[] | null): string {
  const keep = eventNames ? `WHERE reason IS NOT NULL OR name IN (${eventNames.map(sqlString).join(', ')})` : '';
  return `SELECT partition, "offset", capture_ms, key, value AS event, reason,
           CASE WHEN reason IS NULL THEN name END AS event_name,
           CASE WHEN reason IS NULL THEN ${eventDaySql('ts_text', 'capture_ms', sqlString(timeZone))} END AS day
    FROM (
      SELECT partition, "offset", capture_ms, key, value, ${EVENT_REJECT_REASON} AS reason, strings[1] AS name, strings[2] AS ts_text
      FROM (SELECT *, ${EVENT_FIELDS} FROM raw)
    ) ${keep}`;
}

/**
 * The staged rows of a compacted profiles topic, from `raw`: the latest value per key wins, and a
 * tombstone (null value) removes the profile. All profiles go to one group, `profiles`,
 * on the day the run's window ends (`day`, yyyymmdd); `ts` is when Kafka captured the
 * profile's latest value, as yyyymmddHHMMSS in the account's time zone.
 */
export function stageProfilesSql(timeZone: string, day: string): string {
  const ts = `CAST(strftime(timezone(${sqlString(timeZone)}, to_timestamp(capture_ms / 1000.0)), '%Y%m%d%H%M%S') AS BIGINT)`;
  return `WITH checked AS MATERIALIZED (SELECT *, ${PROFILE_REJECT_REASON} AS reason FROM raw)
    SELECT * FROM (
      SELECT partition, "offset", capture_ms, key, json_object('eventName', 'profiles', 'ts', ${ts}, 'profile', value::JSON)::VARCHAR AS event,
             NULL::VARCHAR AS reason, 'profiles' AS event_name, ${sqlString(day)} AS day
      FROM (
        SELECT * FROM checked WHERE reason IS NULL
        QUALIFY row_number() OVER (PARTITION BY key ORDER BY capture_ms DESC, partition DESC, "offset" DESC) = 1
      )
      WHERE value IS NOT NULL
      UNION ALL
      SELECT partition, "offset", capture_ms, key, value, reason, NULL, NULL FROM checked WHERE reason IS NOT NULL
    )
    ORDER BY partition, "offset"`;
}

/** Writes staged rows (a SELECT) to the staged Parquet file. */
export function writeStagedSql(select: string, path: string): string {
  return `COPY (${select}) TO ${sqlString(path)} (FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE 4096)`;
}

/** The view `staged` over a staged file, with each row's position as `row_id`. */
export function stagedViewSql(path: string): string {
  return `CREATE OR REPLACE VIEW staged AS SELECT *, file_row_number AS row_id FROM read_parquet(${sqlString(path)}, file_row_number = true)`;
}

export const SELECT_REJECTED = `SELECT partition, "offset", key, event, reason FROM staged WHERE reason IS NOT NULL`;

export const COUNT_STAGED = `SELECT count(*) FROM staged WHERE reason IS NULL`;
