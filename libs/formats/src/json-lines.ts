/**
 * The JSON format: a file's first line is the event name; each following line is one
 * JSON object with `ts`, `profile`, `deviceInfo` (only when the event has it) and
 * `eventProps`, in that order. `json` is the column holding the event (DuckDB JSON).
 */
export function jsonLineSql(json: string): string {
  const field = (name: string) => `json_extract(${json}, '$.${name}')`;
  return `CASE WHEN ${field('deviceInfo')} IS NULL OR json_type(${field('deviceInfo')}) = 'NULL'
    THEN json_object('ts', ${field('ts')}, 'profile', ${field('profile')}, 'eventProps', ${field('eventProps')})
    ELSE json_object('ts', ${field('ts')}, 'profile', ${field('profile')}, 'deviceInfo', ${field('deviceInfo')}, 'eventProps', ${field('eventProps')})
  END::VARCHAR`;
}

/** First line of a JSON file: the event name, as a JSON string so any name stays one line. */
export function jsonHeader(eventName: string): Buffer {
  return Buffer.from(JSON.stringify(eventName) + '\n', 'utf8');
}
