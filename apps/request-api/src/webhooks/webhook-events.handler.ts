import { Injectable } from '@nestjs/common';
import { ExportEvent, HeardExportEvent } from '@bulk-export/contracts';
import { newId, WebhookEventType, webhookEventType } from '@bulk-export/domain';
import { Logger } from '@bulk-export/observability';
import { WebhooksRepository } from '@bulk-export/persistence';
import { WebhookDispatcher } from './webhook-dispatcher';

/** The JSON a webhook endpoint receives for an event. */
export function webhookBody(id: string, type: WebhookEventType, event: ExportEvent): string {
  const data = {
    accountId: event.accountId,
    exportId: event.exportId,
    ...(event.runId ? { runId: event.runId } : {}),
    status: event.status,
    ...(event.error ? { error: event.error } : {}),
    ...(event.warning ? { warning: event.warning } : {}),
  };
  return JSON.stringify({ id, type, createdAt: event.at, data });
}

/**
 * Follows the export-status changes of the events topic and queues a delivery for every
 * endpoint subscribed to the change's webhook event, so the run lifecycle knows nothing of
 * webhooks. Idempotent: a change heard twice (the outbox publishes at least once, a
 * consumer may see a message again) is queued once per endpoint.
 */
@Injectable()
export class WebhookEventsHandler {
  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly dispatcher: WebhookDispatcher,
    private readonly logger: Logger,
  ) {}

  async handle({ event, id }: HeardExportEvent): Promise<void> {
    if (!event) return;
    const type = webhookEventType(event);
    if (!type) return;
    const endpoints = await this.webhooks.endpointsFor(event.accountId, type, new Date(event.at));
    if (endpoints.length === 0) return;
    const body = webhookBody(id, type, event);
    const queued = await this.webhooks.enqueue(
      endpoints.map((e) => ({ id: newId(), endpointId: e.id, eventId: id, eventType: type, body })),
    );
    if (queued > 0) this.dispatcher.nudge();
    this.logger.debug('webhook deliveries queued', {
      exportId: event.exportId,
      runId: event.runId,
      event: type,
      queued,
    });
  }
}
