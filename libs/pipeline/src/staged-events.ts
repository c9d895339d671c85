import { eventDaySql, MAX_EVENT_NAME_BYTES, sqlString } from '@bulk-export/formats';

/**
 * The staging schema shared by extractor (writes) and uploader (reads).
 *
 * `raw` receives Kafka messages exactly as read. `checked` adds why a message is not
 * usable (or NULL). `staged` holds what will be exported, parsed once and sorted by file
 * group: event name, day (yyyymmdd), Kafka position and the event as JSON (with
 * `eventName`, `ts`, `profile`, `deviceInfo`, `eventProps`).
 */
export const CREATE_RAW = `CREATE TABLE raw (partition INTEGER, "offset" BIGINT, capture_ms BIGINT, key VARCHAR, value VARCHAR)`;

/** CASE evaluates each test only on the rows that passed the previous ones. */
const EVENT_REJECT_REASON = `CASE
  WHEN value IS NULL OR value = '' THEN 'empty message'
  WHEN NOT json_valid(value) THEN 'not valid JSON'
  WHEN json_type(value::JSON) <> 'OBJECT' THEN 'not a JSON object'
  WHEN json_type(value::JSON, '$.eventName') IS DISTINCT FROM 'VARCHAR' THEN 'eventName is missing or not a string'
  WHEN json_extract_string(value, '$.eventName') = '' THEN 'eventName is empty'
  WHEN strlen(json_extract_string(value, '$.eventName')) > ${MAX_EVENT_NAME_BYTES} THEN 'eventName is longer than ${MAX_EVENT_NAME_BYTES} bytes'
  WHEN coalesce(json_type(value::JSON, '$.profile'), 'OBJECT') NOT IN ('OBJECT', 'NULL') THEN 'profile is not an object'
  WHEN coalesce(json_type(value::JSON, '$.eventProps'), 'OBJECT') NOT IN ('OBJECT', 'NULL') THEN 'eventProps is not an object'
  WHEN coalesce(json_type(value::JSON, '$.deviceInfo'), 'OBJECT') NOT IN ('OBJECT', 'NULL') THEN 'deviceInfo is not an object'
  ELSE NULL END`;

/** A profile message: key = identity, value = the profile object; a null value (tombstone) deletes it. */
const PROFILE_REJECT_REASON = `CASE
  WHEN key IS NULL OR key = '' THEN 'profile message has no key (the identity)'
  WHEN value IS NULL THEN NULL
  WHEN NOT json_valid(value) THEN 'not valid JSON'
  WHEN json_type(value::JSON) <> 'OBJECT' THEN 'not a JSON object'
  ELSE NULL END`;

export function classifySql(kind: 'events' | 'profiles'): string {
  const reason = kind === 'events' ? EVENT_REJECT_REASON : PROFILE_REJECT_REASON;
  return `CREATE TABLE checked AS SELECT partition, "offset", capture_ms, key, value, ${reason} AS reason FROM raw`;
}

/** Builds `staged` from the valid events, keeping only `eventNames` when given. */
export function stageEventsSql(timeZone: string, eventNames: string[] | null): string {
  const filter = eventNames ? `AND json_extract_string(value, '$.eventName') IN (${eventNames.map(sqlString).join(', ')})` : '';
  return `CREATE TABLE staged AS
    SELECT partition, "offset", capture_ms,
           json_extract_string(value, '$.eventName') AS event_name,
           ${eventDaySql('value', 'capture_ms', sqlString(timeZone))} AS day,
           value::JSON AS event
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
           json_object('eventName', 'profiles', 'ts', ${ts}, 'profile', value::JSON) AS event
    FROM (
      SELECT * FROM checked WHERE reason IS NULL
      QUALIFY row_number() OVER (PARTITION BY key ORDER BY capture_ms DESC, partition DESC, "offset" DESC) = 1
    )
    WHERE value IS NOT NULL
    ORDER BY partition, "offset"`;
}

export const SELECT_REJECTED = `SELECT partition, "offset", key, value, reason FROM checked WHERE reason IS NOT NULL ORDER BY partition, "offset"`;
