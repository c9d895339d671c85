/**
 * SQL (DuckDB) for the day an event belongs to, as yyyymmdd, from its `ts` field (`tsText`:
 * an SQL expression for the field as text):
 * - 14 digits (yyyymmddHHMMSS, the platform's own format): its first eight digits;
 * - 13 digits: epoch milliseconds, 10 digits: epoch seconds — the day in the account's
 *   time zone;
 * - anything else (or no `ts`): the day Kafka captured the event, in that time zone.
 * `captureMs` is the Kafka timestamp column and `timeZone` an SQL string literal.
 */
export function eventDaySql(tsText: string, captureMs: string, timeZone: string): string {
  const ts = `(${tsText})`;
  const local = (epochMsExpr: string) =>
    `strftime(timezone(${timeZone}, to_timestamp((${epochMsExpr}) / 1000.0)), '%Y%m%d')`;
  return `CASE
    WHEN regexp_full_match(${ts}, '(19|20|21)\\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\\d|3[01])([01]\\d|2[0-3])[0-5]\\d[0-5]\\d') THEN substr(${ts}, 1, 8)
    WHEN regexp_full_match(${ts}, '\\d{13}') THEN ${local(`CAST(${ts} AS BIGINT)`)}
    WHEN regexp_full_match(${ts}, '\\d{10}') THEN ${local(`CAST(${ts} AS BIGINT) * 1000`)}
    ELSE ${local(captureMs)}
  END`;
}
