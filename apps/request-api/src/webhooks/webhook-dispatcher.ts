import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@bulk-export/config';
import { nextDeliveryAttemptAt, parseAllowedHosts, signWebhook, WEBHOOK_SIGNATURE_HEADER } from '@bulk-export/domain';
import { PollLoop } from '@bulk-export/messaging';
import { Logger, Metrics } from '@bulk-export/observability';
import { ClaimedDelivery, DeliveryOutcome, WebhooksRepository } from '@bulk-export/persistence';
import { CredentialCipher } from '@bulk-export/storage';
import { postWebhook } from './webhook-sender';
import { resolveWebhookTarget } from './webhook-target';

/** Deliveries claimed (and sent side by side) at a time. */
const BATCH = 16;
/** How long a finished delivery stays listed (GET /v1/webhooks/:id/deliveries), and how often old ones are deleted. */
export const DELIVERY_RETENTION_MS = 30 * 24 * 3_600_000;
const CLEANUP_EVERY_MS = 3_600_000;

/**
 * Sends the queued webhook deliveries: polls Postgres (and is nudged when an event queues
 * some), claims due ones with SKIP LOCKED so several request-api replicas share the work,
 * signs and POSTs each, and records the outcome. A failed attempt is retried with backoff
 * (WEBHOOK_RETRY_BASE_MS doubling, at most an hour apart) until WEBHOOK_RETRY_FOR_MS after
 * the event; then the delivery is `failed`.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly allowedHosts: string[];
  private readonly loop: PollLoop;
  private lastCleanup = 0;

  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly cipher: CredentialCipher,
    private readonly config: AppConfig,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    this.allowedHosts = parseAllowedHosts(config.WEBHOOK_ALLOWED_HOSTS);
    this.loop = new PollLoop(() => this.drain(), config.WEBHOOK_POLL_MS);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Look for due deliveries now, without waiting for the next poll. */
  nudge(): void {
    this.loop.nudge();
  }

  private get stopped(): boolean {
    return this.loop.stopped;
  }

  private async drain(): Promise<void> {
    // The lease covers a lookup and an attempt that both take their whole time.
    const leaseMs = 2 * this.config.WEBHOOK_TIMEOUT_MS + 5000;
    try {
      while (!this.stopped) {
        const claimed = await this.webhooks.claimDue(BATCH, leaseMs);
        await Promise.all(claimed.map((c) => this.attempt(c)));
        if (claimed.length < BATCH) break;
      }
      if (Date.now() - this.lastCleanup >= CLEANUP_EVERY_MS) {
        this.lastCleanup = Date.now();
        const before = new Date(Date.now() - DELIVERY_RETENTION_MS);
        while (!this.stopped && (await this.webhooks.deleteFinished(before, 1000)) === 1000);
      }
    } catch (e) {
      this.logger.warn('webhook deliveries could not be sent; will retry', { error: e });
    }
  }

  private async attempt({ delivery, endpoint }: ClaimedDelivery): Promise<void> {
    const where = {
      webhookId: endpoint.id,
      deliveryId: delivery.id,
      event: delivery.eventType,
      attempt: delivery.attempts,
    };
    let outcome: DeliveryOutcome;
    try {
      const secret = this.cipher.open(
        { kekId: endpoint.kekId, wrappedKey: endpoint.wrappedKey, ciphertext: endpoint.ciphertext },
        endpoint.id,
      );
      const target = await resolveWebhookTarget(endpoint.url, this.allowedHosts);
      const headers = {
        [WEBHOOK_SIGNATURE_HEADER]: signWebhook(secret, Math.floor(Date.now() / 1000), delivery.body),
        'X-BulkExport-Event': delivery.eventType,
        'X-BulkExport-Delivery': delivery.id,
        'User-Agent': 'BulkExport-Webhooks/1',
      };
      const answer = await postWebhook(target, headers, delivery.body, this.config.WEBHOOK_TIMEOUT_MS);
      outcome =
        answer.status >= 200 && answer.status < 300
          ? { status: 'delivered', responseStatus: answer.status }
          : this.failed(
              delivery,
              answer.status,
              `the endpoint answered HTTP ${answer.status}${answer.status >= 300 && answer.status < 400 ? ' (redirects are not followed)' : ''}`,
            );
    } catch (e) {
      outcome = this.failed(delivery, null, e instanceof Error ? e.message : String(e));
    }
    const recorded = await this.webhooks.recordAttempt(delivery.id, delivery.attempts, outcome);
    this.metrics.webhookAttempts.inc({ outcome: outcome.status === 'pending' ? 'retried' : outcome.status });
    if (outcome.status === 'delivered')
      this.logger.info('webhook delivered', { ...where, responseStatus: outcome.responseStatus, recorded });
    else
      this.logger.warn('webhook delivery failed', {
        ...where,
        responseStatus: outcome.responseStatus,
        reason: outcome.error,
        retryAt: outcome.nextAttemptAt?.toISOString() ?? null,
        recorded,
      });
  }

  private failed(delivery: ClaimedDelivery['delivery'], responseStatus: number | null, error: string): DeliveryOutcome {
    const nextAttemptAt = nextDeliveryAttemptAt(
      delivery.attempts,
      delivery.createdAt.getTime(),
      Date.now(),
      this.config.WEBHOOK_RETRY_BASE_MS,
      this.config.WEBHOOK_RETRY_FOR_MS,
    );
    return {
      status: nextAttemptAt ? 'pending' : 'failed',
      responseStatus,
      error: nextAttemptAt ? error : `${error}; given up after ${delivery.attempts} attempts`,
      nextAttemptAt,
    };
  }
}
