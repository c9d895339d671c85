import { Injectable } from '@nestjs/common';
import { NotFound } from '@bulk-export/domain';
import { WebhookDelivery, WebhooksRepository } from '@bulk-export/persistence';
import { Page, readPage } from '../http/page';
import { PageQuery } from '../http/page.query';

export interface ListDeliveries {
  accountId: string;
  webhookId: string;
  page: PageQuery;
}

/** A page of an endpoint's deliveries, newest first; NotFound for another account's endpoint. */
@Injectable()
export class ListDeliveriesUseCase {
  constructor(private readonly webhooks: WebhooksRepository) {}

  async execute({ accountId, webhookId, page }: ListDeliveries): Promise<Page<WebhookDelivery>> {
    const endpoint = await this.webhooks.findEndpoint(accountId, webhookId);
    if (!endpoint) throw new NotFound('webhook', webhookId);
    return readPage(page, (limit, cursor) => this.webhooks.listDeliveries(endpoint.id, limit, cursor));
  }
}
