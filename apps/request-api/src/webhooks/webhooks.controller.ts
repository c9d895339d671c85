import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CreateWebhookRequest } from '@bulk-export/contracts';
import { Account } from '@bulk-export/persistence';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentAccount } from '../auth/current-account.decorator';
import { IdParam } from '../http/id.pipe';
import { PageQuery } from '../http/page.query';
import { CreateWebhookUseCase, MAX_WEBHOOKS_PER_ACCOUNT } from './create-webhook.use-case';
import { DeleteWebhookUseCase } from './delete-webhook.use-case';
import { ListDeliveriesUseCase } from './list-deliveries.use-case';
import { ListWebhooksUseCase } from './list-webhooks.use-case';
import { presentDelivery, presentWebhook } from './webhook.presenter';

@ApiTags('webhooks')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'No or unknown API key (`unauthenticated`).' })
@ApiResponse({ status: 429, description: 'Too many requests with this key (`rate_limited`); see Retry-After.' })
@Controller('v1/webhooks')
@UseGuards(ApiKeyGuard)
export class WebhooksController {
  constructor(
    private readonly createWebhook: CreateWebhookUseCase,
    private readonly deleteWebhook: DeleteWebhookUseCase,
    private readonly listWebhooks: ListWebhooksUseCase,
    private readonly listDeliveries: ListDeliveriesUseCase,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Register an endpoint for events (run.done, run.failed, export.done, export.failed, export.stopped, export.paused); the signing secret is in this answer only.',
  })
  @ApiResponse({
    status: 201,
    description: '`{ id, url, events, createdAt, secret }`: keep `secret`, it is never shown again.',
  })
  @ApiResponse({
    status: 400,
    description:
      'A field is missing or invalid; `url` is refused unless https and public (`invalid_field`, field `url`).',
  })
  @ApiResponse({
    status: 409,
    description: `The account has ${MAX_WEBHOOKS_PER_ACCOUNT} webhooks already (\`conflict\`).`,
  })
  async create(@CurrentAccount() account: Account, @Body() body: CreateWebhookRequest) {
    const { endpoint, secret } = await this.createWebhook.execute({ accountId: account.id, request: body });
    return presentWebhook(endpoint, secret);
  }

  @Get()
  @ApiOperation({ summary: "The account's webhook endpoints, newest first (never their secrets)." })
  @ApiResponse({ status: 200, description: '`{ items: [{ id, url, events, createdAt }] }`' })
  async list(@CurrentAccount() account: Account) {
    return { items: (await this.listWebhooks.execute({ accountId: account.id })).map((w) => presentWebhook(w)) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an endpoint; deliveries not sent yet are dropped.' })
  @ApiResponse({ status: 404, description: 'No such webhook for this account.' })
  async remove(@CurrentAccount() account: Account, @Param('id', new IdParam('webhook')) id: string): Promise<void> {
    await this.deleteWebhook.execute({ accountId: account.id, webhookId: id });
  }

  @Get(':id/deliveries')
  @ApiOperation({
    summary:
      "The endpoint's last deliveries, newest first: event, status (pending, delivered, failed), attempts, the last answer's HTTP status or error.",
  })
  @ApiResponse({ status: 200, description: '`{ items, nextCursor }`' })
  @ApiResponse({ status: 404, description: 'No such webhook for this account.' })
  async deliveries(
    @CurrentAccount() account: Account,
    @Param('id', new IdParam('webhook')) id: string,
    @Query() query: PageQuery,
  ) {
    const { items, nextCursor } = await this.listDeliveries.execute({
      accountId: account.id,
      webhookId: id,
      page: query,
    });
    return { items: items.map(presentDelivery), nextCursor };
  }
}
