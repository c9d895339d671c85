import { Injectable } from '@nestjs/common';
import { WebhookEndpoint, WebhooksRepository } from '@bulk-export/persistence';

/** The account's webhook endpoints, newest first (the controller leaves their secrets out). */
@Injectable()
export class ListWebhooksUseCase {
  constructor(private readonly webhooks: WebhooksRepository) {}

  execute({ accountId }: { accountId: string }): Promise<WebhookEndpoint[]> {
    return this.webhooks.listEndpoints(accountId);
  }
}
