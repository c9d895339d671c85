/**
 * What an account can subscribe a webhook to, and which export-status change each one is.
 * A run event is sent once the run is over: `run.failed` only when it failed for good (a
 * failed attempt that will be retried stays `pending`, and is not an event).
 */
export const WEBHOOK_EVENT_TYPES = [
  'run.done',
  'run.failed',
  'export.done',
  'export.failed',
  'export.stopped',
  'export.paused',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * The webhook event of an export-status change (a run's when it names one, else the export's), or null when none is
 * sent for it.
 */
export function webhookEventType(change: { runId?: string; status: string }): WebhookEventType | null {
  if (change.runId) {
    if (change.status === 'done') return 'run.done';
    if (change.status === 'failed') return 'run.failed';
    return null;
  }
  switch (change.status) {
    case 'done':
      return 'export.done';
    case 'failed':
      return 'export.failed';
    case 'stopped':
      return 'export.stopped';
    case 'paused':
      return 'export.paused';
    default:
      return null;
  }
}
