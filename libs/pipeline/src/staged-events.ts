import { sqlString } from '@bulk-export/duckdb';
import { eventDaySql, MAX_EVENT_NAME_BYTES } from '@bulk-export/formats';
import { isStagedLines } from './staging';

/**
 * The staging schema shared by the extractor (writes) and the uploader (reads). One statement
 * per slice of RawSink's `raw` classifies its messages and writes them to a staged Parquet file
 * (row groups of 4096 rows); the uploader opens the slices' files, in order, as the view `staged`:
 * - `event`: the event's JSON text (an event message as read, never re-serialised; a profile as
 *   `{"eventName":"profiles","ts":…,"profile":…}`); `event_name`, `day` (yyyymmdd): its file group;
 * - `reason`: why a message is unusable (`event` is then the message, for the dead-letter topic);
 * - `partition`, `offset`, `capture_ms`, `key`; `raw_key`, `raw_value`: a rejected message's bytes
 *   when they are not UTF-8; `json_cut`: where the JSON format's line starts (EventScanner's `cut`);
 * - `slice`, and in the view `row_id` = (slice << 32) + position, rising in `staged`'s order.
 *
 * A slice is sorted by (event name, day, partition, offset), rejects last: a slice is small, so
 * the sort's memory does not grow with the export, and a group's rows are contiguous in each
 * file, so Parquet's row-group statistics let the uploader read one group for that group's cost.
 * Profiles (deduplicated per key, one group) are one slice sorted by (partition, offset).
 */

/**
 * Each event is parsed by two passes that materialise nothing large: the types of the
 * document and of the fields that must be objects (NULL when the text is not JSON: `try`
 * turns json_type's error into NULL, so validity costs no parse of its own), then, for
 * objects only, the two short strings needed (name and ts).
 */
const EVENT_FIELDS = `CASE WHEN value IS NOT NULL AND checked_name IS NULL THEN try(json_type(value, ['$', '$.eventName', '$.profile', '$.deviceInfo', '$.eventProps'])) END AS types,
  CASE WHEN checked_name IS NULL AND types[1] = 'OBJECT' THEN json_extract_string(value, ['$.eventName', '$.ts']) END AS strings`;

/**
 * DuckDB's JSON reader also takes NaN, Infinity (any case) and trailing commas, which are
 * not JSON: an event holding them would make invalid JSON files and fail the other
 * formats' parsers. `NOT_STRICT` finds them outside strings; it is tried on the message as
 * it is first (one scan, which almost every event passes), then, to be sure, on the
 * message with its strings emptied.
 */
const NOT_STRICT = `'[:\\[,]\\s*[-+]?(?i:nan|inf)|,\\s*[\\]}]'`;
const JSON_STRING = `'"(?:[^"\\\\]|\\\\.)*"'`;
const NOT_STRICT_JSON = `(regexp_matches(value, ${NOT_STRICT}) AND regexp_matches(regexp_replace(value, ${JSON_STRING}, '""', 'g'), ${NOT_STRICT}))`;
const NOT_STRICT_REASON = `'not valid JSON (NaN, Infinity or a trailing comma)'`;

/**
 * Why an event is set aside, when its encoded name would make its objects' names too long
 * (none below `maxNameBytes`: its default never refuses). A message the RawSink scanned
 * (`checked_name` set: see EventScanner) is a valid, strict JSON object whose fields have
 * the types events need: only its name's own checks apply, on the name the scan found.
 */
const eventRejectReason = (
  maxNameBytes: number,
) => `CASE WHEN checked_name IS NOT NULL THEN CASE${nameReasons('checked_name', maxNameBytes)}
  ELSE NULL END
  WHEN value IS NULL OR value = '' THEN 'empty message'
  WHEN types IS NULL THEN 'not valid JSON'
  WHEN ${NOT_STRICT_JSON} THEN ${NOT_STRICT_REASON}
  WHEN types[1] <> 'OBJECT' THEN 'not a JSON object'
  WHEN types[2] IS DISTINCT FROM 'VARCHAR' THEN 'eventName is missing or not a string'${nameReasons('strings[1]', maxNameBytes)}
  WHEN coalesce(types[3], 'OBJECT') NOT IN ('OBJECT', 'NULL') THEN 'profile is not an object'
  WHEN coalesce(types[4], 'OBJECT') NOT IN ('OBJECT', 'NULL') THEN 'deviceInfo is not an object'
  WHEN coalesce(types[5], 'OBJECT') NOT IN ('OBJECT', 'NULL') THEN 'eventProps is not an object'
  ELSE NULL END`;

/** The checks of an event's name (a string), `name`, in order. */
const nameReasons = (name: string, maxNameBytes: number) => `
  WHEN ${name} = '' THEN 'eventName is empty'
  WHEN strlen(${name}) > ${MAX_EVENT_NAME_BYTES} THEN 'eventName is longer than ${MAX_EVENT_NAME_BYTES} bytes'
  WHEN contains(${name}, chr(0)) THEN 'eventName contains a NUL character'${
    maxNameBytes < 3 * MAX_EVENT_NAME_BYTES
      ? `
  WHEN strlen(${name}) * 3 > ${maxNameBytes} AND strlen(${name}) + 2 * strlen(regexp_replace(${name}, '[A-Za-z0-9 _]+', '', 'g')) > ${maxNameBytes}
    THEN 'eventName is too long for a file name under the export''s prefix (at most ${maxNameBytes} bytes once encoded)'`
      : ''
  }`;

/** A profile message: key = identity, value = the profile object; a null value (tombstone) deletes it. */
const PROFILE_REJECT_REASON = `CASE
  WHEN key IS NULL OR key = '' THEN 'profile message has no key (the identity)'
  WHEN value IS NULL THEN NULL
  WHEN NOT json_valid(value) THEN 'not valid JSON'
  WHEN ${NOT_STRICT_JSON} THEN ${NOT_STRICT_REASON}
  WHEN json_type(value) <> 'OBJECT' THEN 'not a JSON object'
  ELSE NULL END`;

/**
 * The staged rows of an events export from `source` (a slice of `raw`), keeping only
 * `eventNames` when given (rejected messages are always kept, for the dead-letter topic),
 * sorted into file groups; `grouped`: the slice's lines are in that order already (RawSlice).
 */
export function stageEventsSql(
  timeZone: string,
  eventNames: string[] | null,
  source = 'SELECT * FROM raw',
  maxEncodedNameBytes = 3 * MAX_EVENT_NAME_BYTES,
  { grouped = false } = {},
): string {
  const keep = eventNames ? `WHERE reason IS NOT NULL OR name IN (${eventNames.map(sqlString).join(', ')})` : '';
  return `SELECT partition, "offset", capture_ms, key, value AS event, reason,
           CASE WHEN reason IS NULL THEN name END AS event_name,
           CASE WHEN reason IS NULL THEN coalesce(checked_day, ${eventDaySql('ts_text', 'capture_ms', sqlString(timeZone))}) END AS day,
           CASE WHEN reason IS NOT NULL THEN raw_key END AS raw_key,
           CASE WHEN reason IS NOT NULL THEN raw_value END AS raw_value,
           CASE WHEN reason IS NULL THEN json_cut END AS json_cut
    FROM (
      SELECT partition, "offset", capture_ms, key, value, ${eventRejectReason(maxEncodedNameBytes)} AS reason,
        CASE WHEN checked_name IS NOT NULL THEN checked_name ELSE strings[1] END AS name,
        CASE WHEN checked_name IS NOT NULL THEN checked_ts ELSE strings[2] END AS ts_text, checked_day, raw_key, raw_value, json_cut
      FROM (SELECT *, ${EVENT_FIELDS} FROM (${source}))
    ) ${keep}
    ${grouped ? '' : 'ORDER BY event_name, day, partition, "offset"'}`;
}

/**
 * A profile's record: `{"eventName":"profiles","ts":…,"profile":{…}}`, whose profile
 * carries the message key (the identity) as `identity` when its value has none (then
 * first); a deleted profile is `{"eventName":"profiles","ts":…,"profile":{"identity":…},"deleted":true}`.
 */
const profileRecordSql = (ts: string) => `CASE WHEN value IS NULL
  THEN json_object('eventName', 'profiles', 'ts', ${ts}, 'profile', json_object('identity', key), 'deleted', true)
  ELSE json_object('eventName', 'profiles', 'ts', ${ts}, 'profile', (CASE
    WHEN json_exists(value, '$.identity') THEN value
    WHEN json_keys(value) = [] THEN '{"identity":' || to_json(key)::VARCHAR || '}'
    ELSE '{"identity":' || to_json(key)::VARCHAR || ',' || regexp_replace(value, '^\\s*\\{', '') END)::JSON)
  END::VARCHAR`;

/**
 * The staged rows of a compacted profiles topic, from `raw`: the latest value per key wins.
 * Latest as Kafka (and its compaction) means it: within a partition, the highest offset,
 * whatever the message timestamps say (producers' clocks may be behind). Only a key found
 * in several partitions (the topic was repartitioned) is settled by capture time: each
 * partition's latest value, then the one captured last (the higher partition on a tie).
 * A tombstone (null value) as latest deletes the profile: a snapshot (`raw` is the topic
 * up to the window's end) leaves it out; an incremental window (`raw` is what the window
 * captured) writes it as deleted. All profiles go to one group, `profiles`, on the day the
 * run's window ends (`day`, yyyymmdd); `ts` is when Kafka captured the profile's latest
 * value, as yyyymmddHHMMSS in the account's time zone.
 */
export function stageProfilesSql(timeZone: string, day: string, incremental = false): string {
  const ts = `CAST(strftime(timezone(${sqlString(timeZone)}, to_timestamp(capture_ms / 1000.0)), '%Y%m%d%H%M%S') AS BIGINT)`;
  return `WITH checked AS MATERIALIZED (SELECT *, ${PROFILE_REJECT_REASON} AS reason FROM raw)
    SELECT * FROM (
      SELECT partition, "offset", capture_ms, key, ${profileRecordSql(ts)} AS event,
             NULL::VARCHAR AS reason, 'profiles' AS event_name, ${sqlString(day)} AS day, NULL::BLOB AS raw_key, NULL::BLOB AS raw_value, NULL::INTEGER AS json_cut
      FROM (
        SELECT * FROM (
          SELECT * FROM checked WHERE reason IS NULL
          QUALIFY row_number() OVER (PARTITION BY key, partition ORDER BY "offset" DESC) = 1
        )
        QUALIFY row_number() OVER (PARTITION BY key ORDER BY capture_ms DESC, partition DESC) = 1
      )
      ${incremental ? '' : 'WHERE value IS NOT NULL'}
      UNION ALL
      SELECT partition, "offset", capture_ms, key, value, reason, NULL, NULL, raw_key, raw_value, NULL FROM checked WHERE reason IS NOT NULL
    )
    ORDER BY partition, "offset"`;
}

/** Writes staged rows (a SELECT) of slice number `slice` to its staged Parquet file, in the SELECT's order. */
export function writeStagedSql(select: string, slice: number, path: string): string {
  return `COPY (SELECT *, ${slice}::INTEGER AS slice FROM (${select})) TO ${sqlString(path)} (FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE 4096)`;
}

/**
 * The view `staged` over the staged Parquet files (in slice order), with each row's `row_id`;
 * `temporary`: seen by its own connection only (write tasks side by side on one database).
 */
export function stagedViewSql(paths: string[], { temporary = false } = {}): string {
  // Slices staged as lines are not Parquet: see staged-lines.ts and staged-group.ts.
  paths = paths.filter((path) => !isStagedLines(path));
  const files = paths.length
    ? `read_parquet([${paths.map(sqlString).join(', ')}], file_row_number = true)`
    : EMPTY_STAGED;
  return `CREATE OR REPLACE ${temporary ? 'TEMP ' : ''}VIEW staged AS SELECT * EXCLUDE (file_row_number), (slice::BIGINT << 32) + file_row_number AS row_id FROM ${files}`;
}

/** No slices (nothing to read): a staged view with no rows. */
const EMPTY_STAGED = `(SELECT NULL::INTEGER AS partition, NULL::BIGINT AS "offset", NULL::BIGINT AS capture_ms, NULL::VARCHAR AS key, NULL::VARCHAR AS event,
  NULL::VARCHAR AS reason, NULL::VARCHAR AS event_name, NULL::VARCHAR AS day, NULL::BLOB AS raw_key, NULL::BLOB AS raw_value, NULL::INTEGER AS json_cut, NULL::INTEGER AS slice,
  NULL::BIGINT AS file_row_number LIMIT 0)`;

/**
 * The rejected messages (for the dead-letter topic): partition, offset, key, event, reason,
 * raw_key, raw_value (the bytes when not UTF-8), except those in `alreadySent`: offset
 * ranges [start, end) per partition whose rejected messages were dead-lettered before.
 */
export function selectRejectedSql(
  alreadySent: readonly { partition: number; start: bigint; end: bigint }[] = [],
): string {
  const sent = alreadySent.map(
    (r) => `(partition = ${r.partition} AND "offset" >= ${r.start} AND "offset" < ${r.end})`,
  );
  return `SELECT partition, "offset", key, event, reason, raw_key, raw_value FROM staged WHERE reason IS NOT NULL${sent.length ? ` AND NOT (${sent.join(' OR ')})` : ''}`;
}

/** The staged events and, second, the rejected messages: one pass over `staged`. */
export const COUNT_STAGED = `SELECT count(*) FILTER (WHERE reason IS NULL), count(*) FILTER (WHERE reason IS NOT NULL) FROM staged`;
