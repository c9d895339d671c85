import type { WebhookDelivery, WebhookEndpoint } from '@bulk-export/persistence';

/** A webhook endpoint as its account sees it: never the secret (shown once, when it is created). */
export function presentWebhook(w: WebhookEndpoint, secret?: string | null) {
  return {
    id: w.id,
    url: w.url,
    events: w.events,
    createdAt: w.createdAt.toISOString(),
    ...(secret ? { secret } : {}),
  };
}

export function presentDelivery(d: WebhookDelivery) {
  return {
    id: d.id,
    eventId: d.eventId,
    event: d.eventType,
    status: d.status,
    attempts: d.attempts,
    responseStatus: d.responseStatus,
    error: d.error,
    createdAt: d.createdAt.toISOString(),
    lastAttemptAt: d.lastAttemptAt?.toISOString() ?? null,
    nextAttemptAt: d.status === 'pending' ? (d.nextAttemptAt?.toISOString() ?? null) : null,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
  };
}
