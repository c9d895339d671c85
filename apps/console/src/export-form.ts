/** The Create Export form's state and the request it sends; pure, so a unit test covers it. */

export const MAX_WINDOW_AGE_DAYS = 45;
const DAY_MS = 86_400_000;

export interface ExportForm {
  credentialId: string;
  partner: string;
  type: string;
  events: string[];
  frequency: 'one_time' | 'recurring';
  /** datetime-local values, the reader's time zone. */
  from: string;
  to: string;
  intervalHours: string;
  startAt: string;
  format: string;
  /** '' = the format's default. */
  compression: string;
  /** Advanced: each is sent only when set. */
  prefix: string;
  maxFileMb: string;
  xmlLayout: string;
  profileMode: string;
}

export function emptyForm(): ExportForm {
  return {
    credentialId: '',
    partner: 'gcp',
    type: 'all_events',
    events: [],
    frequency: 'one_time',
    from: '',
    to: '',
    intervalHours: '24',
    startAt: '',
    format: 'json',
    compression: '',
    prefix: '',
    maxFileMb: '',
    xmlLayout: '',
    profileMode: '',
  };
}

/** The compressions that apply to a format ('' stands for the format's default). */
export function compressionsFor(format: string): { value: string; label: string }[] {
  return format === 'parquet'
    ? [
        { value: '', label: 'Snappy (default)' },
        { value: 'zstd', label: 'Zstandard' },
        { value: 'none', label: 'None' },
      ]
    : [
        { value: '', label: 'None (default)' },
        { value: 'gzip', label: 'gzip' },
      ];
}

/** The earliest instant a one-time window may start at: 45 days back. */
export function earliestStart(now: number): number {
  return now - MAX_WINDOW_AGE_DAYS * DAY_MS;
}

/**
 * The body of POST /v1/exports for the form, converting local date-times to RFC 3339.
 * Fields that do not apply are left out, and each advanced option only when the user set it.
 * A value the browser cannot read is sent as typed, so the API names the field.
 */
export function exportRequest(form: ExportForm, toInstant: (local: string) => string | null): Record<string, unknown> {
  const body: Record<string, unknown> = {
    partner: form.partner,
    credentialId: form.credentialId,
    type: form.type,
    frequency: form.frequency,
    format: form.format,
  };
  if (form.type === 'select_events') body.events = form.events;
  const instant = (v: string) => toInstant(v) ?? v;
  if (form.frequency === 'one_time') {
    body.from = instant(form.from);
    body.to = instant(form.to);
  } else {
    body.intervalHours = numberOrText(form.intervalHours);
    if (form.startAt) body.startAt = instant(form.startAt);
  }
  if (form.compression) body.compression = form.compression;
  if (form.prefix.trim()) body.prefix = form.prefix.trim();
  if (form.maxFileMb.trim()) body.maxFileMb = numberOrText(form.maxFileMb);
  if (form.xmlLayout) body.xmlLayout = form.xmlLayout;
  if (form.profileMode) body.profileMode = form.profileMode;
  return body;
}

function numberOrText(value: string): number | string {
  const n = Number(value.trim());
  return value.trim() !== '' && Number.isFinite(n) ? n : value;
}

/** Adds an event name to the picked ones (trimmed, once). */
export function addEvent(events: string[], name: string): string[] {
  const n = name.trim();
  return n && !events.includes(n) ? [...events, n] : events;
}
