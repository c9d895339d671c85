import { eventDaySql, MAX_EVENT_NAME_BYTES, sqlString } from '@bulk-export/formats';

/**
 * The staging schema shared by extractor (writes) and uploader (reads).
 *
 * `raw` receives Kafka messages exactly as read. `staged` holds the valid events of the
 * window, parsed once: event name, day (yyyymmdd), Kafka position and the event as JSON.
 * `rejected` holds the messages that are not events, with the reason.
 */
export const CREATE_RAW = `CREATE TABLE raw (partition INTEGER, "offset" BIGINT, capture_ms BIGINT, key VARCHAR, value VARCHAR)`;

/** Why a raw message is not an event, or NULL. CASE evaluates each test only on rows that passed the previous ones. */
const REJECT_REASON = `CASE
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

export function classifySql(): string {
  return `CREATE TABLE checked AS SELECT partition, "offset", capture_ms, key, value, ${REJECT_REASON} AS reason FROM raw`;
}

/** Builds `staged` from the valid rows, keeping only `eventNames` when given. */
export function stageSql(timeZone: string, eventNames: string[] | null): string {
  const filter = eventNames ? `AND json_extract_string(value, '$.eventName') IN (${eventNames.map(sqlString).join(', ')})` : '';
  return `CREATE TABLE staged AS
    SELECT partition, "offset", capture_ms,
           json_extract_string(value, '$.eventName') AS event_name,
           ${eventDaySql('value', 'capture_ms', sqlString(timeZone))} AS day,
           value::JSON AS event
    FROM checked WHERE reason IS NULL ${filter}`;
}

export const SELECT_REJECTED = `SELECT partition, "offset", key, value, reason FROM checked WHERE reason IS NOT NULL ORDER BY partition, "offset"`;
