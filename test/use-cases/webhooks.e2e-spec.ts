import { ExportEvent } from '@bulk-export/contracts';
import { Conflict, InvalidField, NotFound } from '@bulk-export/domain';
import { WebhookDelivery, WebhookEndpoint } from '@bulk-export/persistence';
import { AccountFixture, TestWorld, waitFor } from '@bulk-export/testing';
import {
  CreateWebhookUseCase,
  MAX_WEBHOOKS_PER_ACCOUNT,
} from '../../apps/request-api/src/webhooks/create-webhook.use-case';
import { DeleteWebhookUseCase } from '../../apps/request-api/src/webhooks/delete-webhook.use-case';
import { WebhookDispatcher } from '../../apps/request-api/src/webhooks/webhook-dispatcher';
import { WebhookEventsHandler } from '../../apps/request-api/src/webhooks/webhook-events.handler';
import { WebhookReceiver } from '../support/webhook-receiver';

/**
 * The webhook use cases in-process against Postgres: registering and deleting endpoints,
 * and an export event queued for the subscribed endpoints and delivered, signed, to a real
 * HTTP receiver on 127.0.0.1 (allow-listed) by the dispatcher.
 */
describe('webhook use cases', () => {
  let world: TestWorld;
  let create: CreateWebhookUseCase;
  let remove: DeleteWebhookUseCase;
  let dispatcher: WebhookDispatcher;
  let handler: WebhookEventsHandler;
  let receiver: WebhookReceiver;
  let owner: AccountFixture;

  beforeAll(async () => {
    world = await TestWorld.open({
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_POLL_MS: '100',
      WEBHOOK_RETRY_BASE_MS: '100',
    });
    receiver = await WebhookReceiver.start();
    create = new CreateWebhookUseCase(world.webhooks, world.cipher, world.logger, world.config);
    remove = new DeleteWebhookUseCase(world.webhooks, world.logger);
    dispatcher = new WebhookDispatcher(world.webhooks, world.cipher, world.config, world.logger, world.metrics);
    handler = new WebhookEventsHandler(world.webhooks, dispatcher, world.logger);
    dispatcher.onApplicationBootstrap();
    owner = await world.account();
  });

  afterAll(async () => {
    await dispatcher?.onApplicationShutdown();
    await receiver?.stop();
    await world?.close();
  });

  const deliveries = (endpointId: string) =>
    world.db.getRepository(WebhookDelivery).find({ where: { endpointId }, order: { createdAt: 'ASC' } });

  describe('CreateWebhookUseCase', () => {
    it('registers an endpoint with a sealed secret, returned once; the same idempotency key gives the same endpoint and no secret', async () => {
      const { endpoint, secret } = await create.execute({
        accountId: owner.account.id,
        request: { url: receiver.url('/created'), events: ['run.done'] },
        idempotencyKey: 'k1',
      });
      expect(secret).toMatch(/^whsec_/);
      const row = await world.db.getRepository(WebhookEndpoint).findOneByOrFail({ id: endpoint.id });
      expect(row).toMatchObject({
        accountId: owner.account.id,
        url: receiver.url('/created'),
        events: ['run.done'],
        idempotencyKey: 'k1',
      });
      expect(world.cipher.open(row, row.id)).toBe(secret);
      const again = await create.execute({
        accountId: owner.account.id,
        request: { url: receiver.url('/other'), events: ['run.failed'] },
        idempotencyKey: 'k1',
      });
      expect(again).toEqual({
        endpoint: expect.objectContaining({ id: endpoint.id, url: receiver.url('/created') }),
        secret: null,
      });
    });

    it('refuses a URL that is not https or points at a private address (naming the url field)', async () => {
      for (const url of ['http://hooks.example.com/x', 'https://10.1.2.3/x', 'https://localhost/x']) {
        const error = await create
          .execute({ accountId: owner.account.id, request: { url, events: ['run.done'] } })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidField);
        expect((error as InvalidField).field).toBe('url');
      }
    });

    it(`refuses the endpoint past ${MAX_WEBHOOKS_PER_ACCOUNT} of an account (409)`, async () => {
      const account = await world.account();
      for (let i = 0; i < MAX_WEBHOOKS_PER_ACCOUNT; i++)
        await create.execute({
          accountId: account.account.id,
          request: { url: receiver.url(`/n${i}`), events: ['run.done'] },
        });
      await expect(
        create.execute({
          accountId: account.account.id,
          request: { url: receiver.url('/over'), events: ['run.done'] },
        }),
      ).rejects.toThrow(Conflict);
      expect(await world.webhooks.listEndpoints(account.account.id)).toHaveLength(MAX_WEBHOOKS_PER_ACCOUNT);
    });
  });

  describe('DeleteWebhookUseCase', () => {
    it("deletes an endpoint; a second delete, a malformed id and another account's endpoint are 404s", async () => {
      const { endpoint } = await create.execute({
        accountId: owner.account.id,
        request: { url: receiver.url('/deleted'), events: ['run.done'] },
      });
      const stranger = await world.account();
      const theirs = await create.execute({
        accountId: stranger.account.id,
        request: { url: receiver.url('/theirs'), events: ['run.done'] },
      });
      await remove.execute({ accountId: owner.account.id, webhookId: endpoint.id });
      expect(await world.webhooks.findEndpoint(owner.account.id, endpoint.id)).toBeNull();
      await expect(remove.execute({ accountId: owner.account.id, webhookId: endpoint.id })).rejects.toThrow(NotFound);
      await expect(remove.execute({ accountId: owner.account.id, webhookId: 'not an id' })).rejects.toThrow(NotFound);
      await expect(remove.execute({ accountId: owner.account.id, webhookId: theirs.endpoint.id })).rejects.toThrow(
        NotFound,
      );
      expect(await world.webhooks.findEndpoint(stranger.account.id, theirs.endpoint.id)).not.toBeNull();
    });
  });

  describe('WebhookEventsHandler', () => {
    it('queues an event once per subscribed endpoint, however often it is heard, and the dispatcher delivers it signed', async () => {
      const account = await world.account();
      const subscribed = await create.execute({
        accountId: account.account.id,
        request: { url: receiver.url('/runs'), events: ['run.done', 'run.failed'] },
      });
      const other = await create.execute({
        accountId: account.account.id,
        request: { url: receiver.url('/exports'), events: ['export.done'] },
      });
      receiver.expect('/runs', subscribed.secret as string, [500]);
      const event: ExportEvent = {
        version: 1,
        type: 'export-status',
        exportId: '01JEXPORT0000000000000000A',
        accountId: account.account.id,
        runId: '01JRUN000000000000000000AA',
        status: 'done',
        at: new Date().toISOString(),
      };
      const id = 'evt_' + 'a'.repeat(32);

      await handler.handle({ event, id });
      await handler.handle({ event, id });
      await handler.handle({ event: { ...event, status: 'running' }, id: 'evt_' + 'b'.repeat(32) });

      expect(await deliveries(other.endpoint.id)).toEqual([]);
      // The first attempt is answered 500 and retried; the second is delivered.
      const [delivered] = await waitFor(
        'the delivery delivered',
        async () => {
          const rows = await deliveries(subscribed.endpoint.id);
          return rows.length === 1 && rows[0].status === 'delivered' ? rows : undefined;
        },
        { timeoutMs: 15_000 },
      );
      expect(delivered).toMatchObject({ eventId: id, eventType: 'run.done', attempts: 2, responseStatus: 200 });
      const got = receiver.at('/runs');
      expect(got.map((r) => [r.answered, r.verified, r.event.id, r.event.type, r.event.data])).toEqual([
        [
          500,
          true,
          id,
          'run.done',
          { accountId: account.account.id, exportId: event.exportId, runId: event.runId, status: 'done' },
        ],
        [
          200,
          true,
          id,
          'run.done',
          { accountId: account.account.id, exportId: event.exportId, runId: event.runId, status: 'done' },
        ],
      ]);
    });
  });
});
