/** How values read on the page; pure, so a unit test covers them. */

const STATUS_LABELS: Record<string, string> = {
  pending: 'Pending',
  running: 'Running',
  done: 'Done',
  failed: 'Failed',
  stopped: 'Stopped',
  paused: 'Paused',
  cancelled: 'Cancelled',
};

/** A status as the Activity Log shows it: `done` → `Done`; one the console does not know yet is shown as it comes. */
export function statusLabel(status: string): string {
  return STATUS_LABELS[status] ?? status.charAt(0).toUpperCase() + status.slice(1).replace(/_/g, ' ');
}

/** Statuses during which the page refreshes by itself. */
export function isUnderWay(status: string): boolean {
  return status === 'pending' || status === 'running';
}

export const TYPE_LABELS: Record<string, string> = {
  all_events: 'All events',
  select_events: 'Select events',
  all_profiles: 'All user profiles',
};
export const FREQUENCY_LABELS: Record<string, string> = { one_time: 'One time', recurring: 'Recurring' };
export const FORMAT_LABELS: Record<string, string> = { json: 'JSON', xml: 'XML', csv: 'CSV', parquet: 'Parquet' };

export function label(labels: Record<string, string>, value: string): string {
  return labels[value] ?? value;
}

/** 1536 → "1.5 KB" (powers of 1024, as GCS's console shows sizes). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** An instant in the reader's own time zone, to the second: "2026-12-02 06:10:05". */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${toLocalInput(d.getTime()).replace('T', ' ')}`;
}

/** A window [start, end) as "start → end". */
export function formatWindow(start: string, end: string | null | undefined): string {
  return `${formatTime(start)} → ${end ? formatTime(end) : 'open'}`;
}

/** The value a `datetime-local` input takes for an instant, in the reader's time zone, to the second. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A `datetime-local` value (the reader's time zone) as RFC 3339 in UTC, or null if it is not a date-time. */
export function fromLocalInput(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return null;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** "UTC+05:30" for the reader's time zone offset at `ms`. */
export function zoneLabel(ms = Date.now()): string {
  const minutes = -new Date(ms).getTimezoneOffset();
  const sign = minutes < 0 ? '−' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * What a customer can do about a credentials error, after the reference dashboard's hints
 * (bucket names must match exactly; generate the key again).
 */
export function credentialHint(code: string, field?: string): string | null {
  switch (code) {
    case 'bucket_not_found':
    case 'invalid_bucket_name':
      return 'Check that the bucket name is the same as in Google Cloud: bucket names must match exactly.';
    case 'bucket_not_writable':
      return 'Give the service account the "Storage Object Admin" role on this bucket, then save again.';
    case 'invalid_service_key':
      return 'Generate the service account key again in Google Cloud, then paste the new key here (or pick its .json file).';
    case 'storage_unavailable':
      return 'Google Cloud Storage could not be reached: try again in a minute.';
    default:
      return field === 'serviceKey' ? 'Paste the whole key file as downloaded from Google Cloud.' : null;
  }
}
