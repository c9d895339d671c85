import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@bulk-export/config';
import { CreateWebhookRequest } from '@bulk-export/contracts';
import { Conflict, InvalidField, newId, parseAllowedHosts } from '@bulk-export/domain';
import { Logger } from '@bulk-export/observability';
import { WebhookEndpoint, WebhooksRepository } from '@bulk-export/persistence';
import { CredentialCipher } from '@bulk-export/storage';
import { resolveWebhookTarget, WebhookTargetRefused } from './webhook-target';

/** Most endpoints an account may register. */
export const MAX_WEBHOOKS_PER_ACCOUNT = 20;

export interface CreateWebhook {
  accountId: string;
  request: CreateWebhookRequest;
  /** Chosen by an internal service's command; a REST caller is given a new one. */
  secret?: string;
  /** From a command: the same key twice registers one endpoint. */
  idempotencyKey?: string;
}

/**
 * Registers a webhook endpoint: its URL must be https and resolve to public addresses only
 * (unless allow-listed); its secret is sealed like a service-account key. The secret is
 * returned only when this call created it, once.
 */
@Injectable()
export class CreateWebhookUseCase {
  private readonly allowedHosts: string[];

  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly cipher: CredentialCipher,
    private readonly logger: Logger,
    config: AppConfig,
  ) {
    this.allowedHosts = parseAllowedHosts(config.WEBHOOK_ALLOWED_HOSTS);
  }

  async execute(command: CreateWebhook): Promise<{ endpoint: WebhookEndpoint; secret: string | null }> {
    // A command sent again gets the endpoint it created, whatever has changed since.
    const earlier = command.idempotencyKey
      ? await this.webhooks.findByIdempotencyKey(command.accountId, command.idempotencyKey)
      : null;
    if (earlier) return { endpoint: earlier, secret: null };
    try {
      await resolveWebhookTarget(command.request.url, this.allowedHosts);
    } catch (e) {
      if (e instanceof WebhookTargetRefused) throw new InvalidField('url', e.message);
      throw e;
    }
    if ((await this.webhooks.listEndpoints(command.accountId)).length >= MAX_WEBHOOKS_PER_ACCOUNT) {
      throw new Conflict(`an account may register at most ${MAX_WEBHOOKS_PER_ACCOUNT} webhooks: delete one first`);
    }
    const id = newId();
    const secret = command.secret ?? `whsec_${randomBytes(32).toString('base64url')}`;
    const sealed = this.cipher.seal(secret, id);
    const { endpoint, created } = await this.webhooks.createEndpoint({
      id,
      accountId: command.accountId,
      url: command.request.url,
      events: command.request.events,
      ...sealed,
      idempotencyKey: command.idempotencyKey ?? null,
      createdAt: new Date(),
    });
    this.logger.info(created ? 'webhook registered' : 'webhook already registered with this idempotency key', {
      webhookId: endpoint.id,
      events: endpoint.events,
    });
    return { endpoint, secret: created && !command.secret ? secret : null };
  }
}
