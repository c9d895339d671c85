import { eventDaySql, MAX_EVENT_NAME_BYTES, sqlString } from '@bulk-export/formats';

/**
 * The staging schema shared by extractor (writes) and uploader (reads).
 *
 * `raw` receives Kafka messages exactly as read and `checked` adds why a message is not
 * usable (or NULL); both are temporary (memory, spilling to the staging folder), so only
 * `staged` is written to the database file the uploader opens. `staged` holds what will be exported, parsed once and sorted by file
 * group: event name, day (yyyymmdd), Kafka position and the event as JSON (with
 * `eventName`, `ts`, `profile`, `deviceInfo`, `eventProps`).
 */
export const CREATE_RAW = `CREATE TEMP TABLE raw (partition INTEGER, "offset" BIGINT, capture_ms BIGINT, key VARCHAR, value VARCHAR)`;

/**
 * Each event is parsed once: json_extract with a list of paths returns the fields as small
 * JSON fragments, and the tests below look only at those fragments. CASE evaluates each
 * test only on the rows that passed the previous ones.
 */
const EVENT_PARTS = `CASE WHEN value IS NOT NULL AND json_valid(value)
  THEN json_extract(value, ['$.eventName', '$.ts', '$.profile', '$.deviceInfo', '$.eventProps']) END`;

const EVENT_REJECT_REASON = `CASE
  WHEN value IS NULL OR value = '' THEN 'empty message'
  WHEN parts IS NULL THEN 'not valid JSON'
  WHEN left(ltrim(value, ' ' || chr(9) || chr(10) || chr(13)), 1) <> '{' THEN 'not a JSON object'
  WHEN json_type(parts[1]) IS DISTINCT FROM 'VARCHAR' THEN 'eventName is missing or not a string'
  WHEN (parts[1] ->> '$') = '' THEN 'eventName is empty'
  WHEN strlen((parts[1] ->> '$')) > ${MAX_EVENT_NAME_BYTES} THEN 'eventName is longer than ${MAX_EVENT_NAME_BYTES} bytes'
  WHEN coalesce(json_type(parts[3]), 'OBJECT') NOT IN ('OBJECT', 'NULL') THEN 'profile is not an object'
  WHEN coalesce(json_type(parts[4]), 'OBJECT') NOT IN ('OBJECT', 'NULL') THEN 'deviceInfo is not an object'
  WHEN coalesce(json_type(parts[5]), 'OBJECT') NOT IN ('OBJECT', 'NULL') THEN 'eventProps is not an object'
  ELSE NULL END`;

/** A profile message: key = identity, value = the profile object; a null value (tombstone) deletes it. */
const PROFILE_REJECT_REASON = `CASE
  WHEN key IS NULL OR key = '' THEN 'profile message has no key (the identity)'
  WHEN value IS NULL THEN NULL
  WHEN NOT json_valid(value) THEN 'not valid JSON'
  WHEN json_type(value::JSON) <> 'OBJECT' THEN 'not a JSON object'
  ELSE NULL END`;

export function classifySql(kind: 'events' | 'profiles'): string {
  if (kind === 'profiles') {
    return `CREATE TEMP TABLE checked AS SELECT partition, "offset", capture_ms, key, value, ${PROFILE_REJECT_REASON} AS reason FROM raw`;
  }
  return `CREATE TEMP TABLE checked AS
    SELECT partition, "offset", capture_ms, key, value, parts, ${EVENT_REJECT_REASON} AS reason
    FROM (SELECT *, ${EVENT_PARTS} AS parts FROM raw)`;
}

/**
 * Builds `staged` from the valid events, keeping only `eventNames` when given. Besides the
 * event itself, the fields the formats need are kept as JSON fragments (parsed once).
 */
export function stageEventsSql(timeZone: string, eventNames: string[] | null): string {
  const filter = eventNames ? `AND (parts[1] ->> '$') IN (${eventNames.map(sqlString).join(', ')})` : '';
  return `CREATE TABLE staged AS
    SELECT partition, "offset", capture_ms,
           (parts[1] ->> '$') AS event_name,
           ${eventDaySql(`(parts[2] ->> '$')`, 'capture_ms', sqlString(timeZone))} AS day,
           value::JSON AS event,
           parts[2] AS ts, parts[3] AS profile, parts[4] AS device_info, parts[5] AS event_props
    FROM checked WHERE reason IS NULL ${filter}
    ORDER BY event_name, day, partition, "offset"`;
}

/**
 * Builds `staged` from a compacted profiles topic: the latest value per key wins, and a
 * tombstone (null value) removes the profile. All profiles go to one group, `profiles`,
 * on the day the run's window ends (`day`, yyyymmdd); `ts` is when Kafka captured the
 * profile's latest value, as yyyymmddHHMMSS in the account's time zone.
 */
export function stageProfilesSql(timeZone: string, day: string): string {
  const ts = `CAST(strftime(timezone(${sqlString(timeZone)}, to_timestamp(capture_ms / 1000.0)), '%Y%m%d%H%M%S') AS BIGINT)`;
  return `CREATE TABLE staged AS
    SELECT partition, "offset", capture_ms, 'profiles' AS event_name, ${sqlString(day)} AS day,
           json_object('eventName', 'profiles', 'ts', ${ts}, 'profile', value::JSON) AS event,
           ${ts}::JSON AS ts, value::JSON AS profile, NULL::JSON AS device_info, NULL::JSON AS event_props
    FROM (
      SELECT * FROM checked WHERE reason IS NULL
      QUALIFY row_number() OVER (PARTITION BY key ORDER BY capture_ms DESC, partition DESC, "offset" DESC) = 1
    )
    WHERE value IS NOT NULL
    ORDER BY partition, "offset"`;
}

export const SELECT_REJECTED = `SELECT partition, "offset", key, value, reason FROM checked WHERE reason IS NOT NULL ORDER BY partition, "offset"`;
