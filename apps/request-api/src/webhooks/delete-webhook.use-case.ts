import { Injectable } from '@nestjs/common';
import { ID_REGEX, NotFound } from '@bulk-export/domain';
import { Logger } from '@bulk-export/observability';
import { WebhooksRepository } from '@bulk-export/persistence';

/** Deletes an account's webhook endpoint with its deliveries: nothing more is sent to it. */
@Injectable()
export class DeleteWebhookUseCase {
  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly logger: Logger,
  ) {}

  async execute(command: { accountId: string; webhookId: string }): Promise<void> {
    const deleted =
      ID_REGEX.test(command.webhookId) && (await this.webhooks.deleteEndpoint(command.accountId, command.webhookId));
    if (!deleted) throw new NotFound('webhook', command.webhookId);
    this.logger.info('webhook deleted', { webhookId: command.webhookId });
  }
}
