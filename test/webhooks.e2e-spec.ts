import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Kafka, logLevel } from 'kafkajs';
import { CredentialCipher } from '@bulk-export/storage';
import { api, kcatConsumeAll, kcatProduce, STACK, TestAccount, TestSystem, waitFor } from '@bulk-export/testing';
import { createExport, ExportBody, exportDone, produceInWindow, saveCredentials } from './support/exports';
import { WebhookReceiver } from './support/webhook-receiver';

/**
 * Webhooks against the real stack: a local receiver (allow-listed 127.0.0.1) verifies every
 * signature as the README says; an export run to done is announced once per endpoint, even
 * when its status event is published twice; an endpoint that answers 500 is retried; a run
 * that failed for good, a stopped export and a paused one are announced; URLs that are not https or point
 * at private addresses are refused, at registration and again at delivery; internal
 * services register and delete webhooks by Kafka command.
 */
interface WebhookBody {
  id: string;
  url: string;
  events: string[];
  createdAt: string;
  secret?: string;
}
interface DeliveryBody {
  id: string;
  eventId: string;
  event: string;
  status: string;
  attempts: number;
  responseStatus: number | null;
  error: string | null;
}

describe('webhooks', () => {
  let system: TestSystem;
  let account: TestAccount;
  let receiver: WebhookReceiver;
  let credentialId: string;
  const secrets: string[] = [];

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    system = await TestSystem.start({
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_RETRY_BASE_MS: '300',
      RUN_MAX_ATTEMPTS: '1',
      // An "hour" of a recurring export is a second here, so that a paused export is quick to get.
      RECURRING_INTERVAL_UNIT_MS: '1000',
      WINDOW_GRACE_MS: '300',
      AUTO_PAUSE_AFTER_FAILED_RUNS: '3',
    });
    account = await system.createAccount();
    ({ credentialId } = await saveCredentials(system, account));
  });

  afterAll(async () => {
    await system?.stop();
    await receiver?.stop();
  });

  const register = async (path: string, events: string[], statuses: number[] = []): Promise<WebhookBody> => {
    const res = await api<WebhookBody>(system.api, 'POST', '/v1/webhooks', {
      apiKey: account.apiKey,
      body: { url: receiver.url(path), events },
    });
    expect(res.status).toBe(201);
    receiver.expect(path, res.body.secret as string, statuses);
    secrets.push(res.body.secret as string);
    return res.body;
  };
  const deliveries = async (webhookId: string) =>
    (
      await api<{ items: DeliveryBody[] }>(system.api, 'GET', `/v1/webhooks/${webhookId}/deliveries`, {
        apiKey: account.apiKey,
      })
    ).body.items;
  const received = (path: string, type: string, count = 1) =>
    waitFor(
      `${count} ${type} at ${path}`,
      async () => {
        const got = receiver.at(path).filter((r) => r.event.type === type);
        return got.length >= count ? got : undefined;
      },
      { timeoutMs: 60_000 },
    );
  const stoppedRecurringExport = async (): Promise<string> => {
    const id = await createExport(system, account, {
      credentialId,
      type: 'all_events',
      frequency: 'recurring',
      intervalHours: 4,
      format: 'json',
    });
    expect((await api(system.api, 'POST', `/v1/exports/${id}/stop`, { apiKey: account.apiKey })).status).toBe(200);
    return id;
  };
  /** Messages of the events topic not yet handled by the webhooks' consumer group. */
  const webhookLag = async (): Promise<number> => {
    const admin = new Kafka({
      clientId: 'webhooks-test',
      brokers: [STACK.kafkaBrokers],
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      const topic = `${system.env.TOPIC_PREFIX}export.events`;
      const [committed] = await admin.fetchOffsets({
        groupId: `${system.env.TOPIC_PREFIX}bulk-export.request-api.webhooks`,
        topics: [topic],
      });
      const done = new Map(committed.partitions.map((p) => [p.partition, Number(p.offset)]));
      return (await admin.fetchTopicOffsets(topic)).reduce(
        (sum, p) => sum + Number(p.high) - Math.max(done.get(p.partition) ?? 0, Number(p.low)),
        0,
      );
    } finally {
      await admin.disconnect();
    }
  };

  it('registers an endpoint with a secret shown once and stored encrypted, lists it without, and deletes it', async () => {
    const created = await register('/listed', ['run.done']);
    expect(created).toMatchObject({ url: receiver.url('/listed'), events: ['run.done'] });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const listed = await api<{ items: WebhookBody[] }>(system.api, 'GET', '/v1/webhooks', { apiKey: account.apiKey });
    expect(listed.body.items.map((w) => w.id)).toContain(created.id);
    expect(JSON.stringify(listed.body)).not.toContain(created.secret);
    const [row] = (await system.db.query(`SELECT * FROM webhook_endpoints WHERE id = $1`, [created.id])) as Record<
      string,
      unknown
    >[];
    expect(JSON.stringify(row)).not.toContain(created.secret);
    expect((row.ciphertext as Buffer).includes(Buffer.from(created.secret as string))).toBe(false);
    expect(
      new CredentialCipher(system.env.CREDENTIALS_KEKS).open(
        { kekId: row.kek_id as string, wrappedKey: row.wrapped_key as Buffer, ciphertext: row.ciphertext as Buffer },
        created.id,
      ),
    ).toBe(created.secret);

    const other = await system.createAccount();
    expect((await api(system.api, 'DELETE', `/v1/webhooks/${created.id}`, { apiKey: other.apiKey })).status).toBe(404);
    expect(
      (await api(system.api, 'GET', `/v1/webhooks/${created.id}/deliveries`, { apiKey: other.apiKey })).status,
    ).toBe(404);
    expect((await api(system.api, 'DELETE', `/v1/webhooks/${created.id}`, { apiKey: account.apiKey })).status).toBe(
      204,
    );
    expect((await api(system.api, 'DELETE', `/v1/webhooks/${created.id}`, { apiKey: account.apiKey })).status).toBe(
      404,
    );
    expect(
      (await api(system.api, 'GET', `/v1/webhooks/${created.id}/deliveries`, { apiKey: account.apiKey })).status,
    ).toBe(404);
  });

  it('announces a run done once per endpoint, signed, even when its event is published twice, and retries an endpoint that answered 500', async () => {
    const a = await register('/a', ['run.done', 'export.done']);
    const flaky = await register('/flaky', ['run.done'], [500]);
    await register('/failures-only', ['run.failed']);
    const window = await produceInWindow(account.eventsTopic, [
      JSON.stringify({ eventName: 'Hooked', ts: 20261127100000, profile: { identity: 'u1' }, eventProps: {} }),
    ]);
    const exportId = await createExport(system, account, {
      credentialId,
      type: 'all_events',
      format: 'json',
      from: new Date(window.from).toISOString(),
      to: new Date(window.to).toISOString(),
    });
    const done = await exportDone(system, account, exportId);
    const runId = done.runs[0].id;

    const [runDone] = await received('/a', 'run.done');
    const [exportDoneEvent] = await received('/a', 'export.done');
    expect(runDone.verified).toBe(true);
    expect(exportDoneEvent.verified).toBe(true);
    expect(runDone.event).toMatchObject({
      type: 'run.done',
      data: { accountId: account.id, exportId, runId, status: 'done' },
    });
    expect(runDone.event.id).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(exportDoneEvent.event).toMatchObject({ type: 'export.done', data: { exportId, status: 'done' } });
    expect(exportDoneEvent.event.data.runId).toBeUndefined();
    expect(runDone.headers).toMatchObject({
      'x-bulkexport-event': 'run.done',
      'user-agent': 'BulkExport-Webhooks/1',
      'content-type': 'application/json',
    });

    const tries = await received('/flaky', 'run.done', 2);
    expect(tries.map((t) => [t.answered, t.verified, t.event.id])).toEqual([
      [500, true, runDone.event.id],
      [200, true, runDone.event.id],
    ]);
    const flakyDeliveries = await waitFor('the retried delivery recorded', async () => {
      const items = await deliveries(flaky.id);
      return items[0]?.status === 'delivered' ? items : undefined;
    });
    expect(flakyDeliveries).toEqual([
      expect.objectContaining({
        event: 'run.done',
        eventId: runDone.event.id,
        status: 'delivered',
        attempts: 2,
        responseStatus: 200,
        error: null,
      }),
    ]);
    const metrics = await (await fetch(`${system.api}/metrics`)).text();
    expect(
      metrics
        .split('\n')
        .find((l) => l.startsWith('bulk_export_webhook_attempts_total{') && l.includes('outcome="retried"')),
    ).toMatch(/ 1$/);

    // The outbox publishes at least once: the same event heard again is not sent again.
    const events = await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.events`);
    const original = events
      .map((m) => m.value)
      .find((v) => v.includes(`"runId":"${runId}"`) && v.includes('"status":"done"'));
    expect(original).toBeDefined();
    await kcatProduce(`${system.env.TOPIC_PREFIX}export.events`, [original as string], [exportId]);
    await waitFor('the webhooks consumer caught up', async () => (await webhookLag()) === 0, { timeoutMs: 30_000 });
    const aDeliveries = await waitFor('both deliveries recorded', async () => {
      const items = await deliveries(a.id);
      return items.every((d) => d.status === 'delivered') ? items : undefined;
    });
    expect(aDeliveries.map((d) => [d.event, d.status, d.attempts, d.responseStatus]).sort()).toEqual([
      ['export.done', 'delivered', 1, 200],
      ['run.done', 'delivered', 1, 200],
    ]);
    expect(receiver.at('/a').filter((r) => r.event.type === 'run.done')).toHaveLength(1);
    expect(receiver.at('/failures-only')).toHaveLength(0);
  });

  it('announces a run that failed for good and a stopped export', async () => {
    await register('/failures', ['run.failed', 'export.failed', 'export.stopped']);
    const doomed = await saveCredentials(system, account);
    await fetch(`${STACK.gcsEndpoint}/storage/v1/b/${doomed.bucket}`, { method: 'DELETE' });
    const window = await produceInWindow(account.eventsTopic, [
      JSON.stringify({ eventName: 'Doomed', ts: 20261127100000, profile: { identity: 'u2' }, eventProps: {} }),
    ]);
    const failedId = await createExport(system, account, {
      credentialId: doomed.credentialId,
      type: 'all_events',
      format: 'json',
      from: new Date(window.from).toISOString(),
      to: new Date(window.to).toISOString(),
    });
    const [runFailed] = await received('/failures', 'run.failed');
    const failed = (await api<ExportBody>(system.api, 'GET', `/v1/exports/${failedId}`, { apiKey: account.apiKey }))
      .body;
    expect(runFailed.verified).toBe(true);
    expect(runFailed.event.data).toMatchObject({
      exportId: failedId,
      runId: failed.runs[0].id,
      status: 'failed',
      error: failed.runs[0].error,
    });
    expect((await received('/failures', 'export.failed'))[0].event.data).toMatchObject({
      exportId: failedId,
      status: 'failed',
    });

    const stoppedId = await stoppedRecurringExport();
    const [stopped] = await received('/failures', 'export.stopped');
    expect(stopped.verified).toBe(true);
    expect(stopped.event.data).toEqual({ accountId: account.id, exportId: stoppedId, status: 'stopped' });
  });

  it('announces a recurring export paused after its runs kept failing', async () => {
    await register('/paused', ['export.paused']);
    const doomed = await saveCredentials(system, account);
    await fetch(`${STACK.gcsEndpoint}/storage/v1/b/${doomed.bucket}`, { method: 'DELETE' });
    // Three 4-"hour" windows are already due: they run (and fail) one after another.
    const startAt = new Date(Date.now() - 3 * 4 * 1000 - 500).toISOString();
    const id = await createExport(system, account, {
      credentialId: doomed.credentialId,
      type: 'all_events',
      frequency: 'recurring',
      intervalHours: 4,
      startAt,
      format: 'json',
    });
    const [paused] = await received('/paused', 'export.paused');
    const exportRow = (await api<ExportBody>(system.api, 'GET', `/v1/exports/${id}`, { apiKey: account.apiKey })).body;
    expect(exportRow.status).toBe('paused');
    expect(paused.verified).toBe(true);
    expect(paused.event.data).toEqual({
      accountId: account.id,
      exportId: id,
      status: 'paused',
      error: exportRow.error,
    });
    expect(paused.event.data.error).toMatch(/^paused after 3 runs in a row failed/);
  });

  it('refuses URLs that are not https or reach loopback, private, link-local or metadata addresses, naming url', async () => {
    const refused = async (url: string) => {
      const res = await api<{ code: string; field: string; message: string }>(system.api, 'POST', '/v1/webhooks', {
        apiKey: account.apiKey,
        body: { url, events: ['run.done'] },
      });
      expect({ url, status: res.status, field: res.body.field }).toEqual({ url, status: 400, field: 'url' });
      return res.body.message;
    };
    expect(await refused('http://hooks.example.com/')).toContain('https');
    expect(await refused('https://127.0.0.2/')).toContain('loopback');
    expect(await refused('https://localhost/')).toContain('this machine');
    expect(await refused('https://169.254.169.254/latest/meta-data/')).toContain('link-local');
    expect(await refused('https://10.1.2.3/')).toContain('private');
    expect(await refused('https://[::1]/')).toContain('loopback');
    expect(await refused('https://[::ffff:10.0.0.1]/')).toContain('IPv4-mapped');
    expect(await refused('https://user:pw@hooks.example.com/')).toContain('user name');
    // A name is resolved: this machine's host name resolves to a loopback or private address.
    expect(await refused(`https://${hostname()}/`)).toMatch(/resolves to .*(loopback|private)/);
    // The allow-list names hosts: 127.0.0.1 is on it, over http too, and nothing else is.
    expect(
      (
        await api(system.api, 'POST', '/v1/webhooks', {
          apiKey: account.apiKey,
          body: { url: 'http://127.0.0.2/', events: ['run.done'] },
        })
      ).status,
    ).toBe(400);
    const badEvents = await api<{ errors: { field: string }[] }>(system.api, 'POST', '/v1/webhooks', {
      apiKey: account.apiKey,
      body: { url: receiver.url('/x'), events: ['run.started'] },
    });
    expect(badEvents.status).toBe(400);
    expect(badEvents.body.errors.map((e) => e.field)).toEqual(['events']);
  });

  it('checks the address again when it delivers: a name that resolves to a private address gets nothing', async () => {
    // As if the name had resolved to a public address at registration and was rebound since.
    const id = '01KREB0VND000000000000000W';
    const sealed = new CredentialCipher(system.env.CREDENTIALS_KEKS).seal('whsec_rebound', id);
    const url = receiver.url('/rebound').replace('http://127.0.0.1', `https://${hostname()}`);
    await system.db.query(
      `INSERT INTO webhook_endpoints (id, account_id, url, events, kek_id, wrapped_key, ciphertext, created_at) VALUES ($1, $2, $3, '{export.stopped}', $4, $5, $6, now() - interval '1 minute')`,
      [id, account.id, url, sealed.kekId, sealed.wrappedKey, sealed.ciphertext],
    );
    await stoppedRecurringExport();
    const [attempt] = await waitFor('the delivery attempted', async () => {
      const items = await deliveries(id);
      return items[0]?.attempts >= 1 && items[0].error ? items : undefined;
    });
    expect(attempt).toMatchObject({ event: 'export.stopped', status: 'pending', responseStatus: null });
    expect(attempt.error).toMatch(/must be a public address: .* resolves to .*(loopback|private)/);
    expect(receiver.at('/rebound')).toHaveLength(0);
  });

  it('registers and deletes webhooks by Kafka command, with the secret the sender chose, and refuses a bad url naming it', async () => {
    const commands = `${system.env.TOPIC_PREFIX}export.commands`;
    const secret = `cmd-secret-${'x'.repeat(32)}`;
    secrets.push(secret);
    const key = `wh-${Date.now()}`;
    const create = (idempotencyKey: string, url: string) =>
      JSON.stringify({
        version: 1,
        type: 'create-webhook',
        accountId: account.id,
        idempotencyKey,
        webhook: { url, events: ['export.stopped'] },
        secret,
      });
    await kcatProduce(
      commands,
      [create(key, receiver.url('/cmd')), create(key, receiver.url('/cmd')), create(`${key}-bad`, 'https://10.0.0.1/')],
      [account.id, account.id, account.id],
    );
    type Result = {
      type: string;
      command: string;
      status: string;
      idempotencyKey?: string;
      webhookId?: string;
      errors?: { field: string; message: string }[];
    };
    const answers = async (k: string) =>
      (await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.events`))
        .map((m) => JSON.parse(m.value) as Result)
        .filter((r) => r.type === 'command-result' && r.idempotencyKey === k);
    const accepted = await waitFor(
      'both create-webhook commands answered',
      async () => ((await answers(key)).length >= 2 ? answers(key) : undefined),
      { timeoutMs: 30_000 },
    );
    expect(accepted.map((r) => [r.command, r.status])).toEqual([
      ['create-webhook', 'accepted'],
      ['create-webhook', 'accepted'],
    ]);
    expect(accepted[1].webhookId).toBe(accepted[0].webhookId);
    const webhookId = accepted[0].webhookId as string;
    const [rejected] = await waitFor('the bad command answered', async () =>
      (await answers(`${key}-bad`)).length ? answers(`${key}-bad`) : undefined,
    );
    expect(rejected).toMatchObject({ command: 'create-webhook', status: 'rejected' });
    expect(rejected.errors?.map((e) => e.field)).toEqual(['url']);
    const events = await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.events`);
    expect(events.some((m) => m.value.includes(secret))).toBe(false);

    const listed = (await api<{ items: WebhookBody[] }>(system.api, 'GET', '/v1/webhooks', { apiKey: account.apiKey }))
      .body.items;
    expect(listed.filter((w) => w.url === receiver.url('/cmd')).map((w) => w.id)).toEqual([webhookId]);
    receiver.expect('/cmd', secret);
    await stoppedRecurringExport();
    expect((await received('/cmd', 'export.stopped'))[0].verified).toBe(true);

    await kcatProduce(
      commands,
      [
        JSON.stringify({
          version: 1,
          type: 'delete-webhook',
          accountId: account.id,
          webhookId,
          idempotencyKey: `${key}-del`,
        }),
      ],
      [account.id],
    );
    const [deleted] = await waitFor('the delete-webhook command answered', async () =>
      (await answers(`${key}-del`)).length ? answers(`${key}-del`) : undefined,
    );
    expect(deleted).toMatchObject({ command: 'delete-webhook', status: 'accepted', webhookId });
    const after = (await api<{ items: WebhookBody[] }>(system.api, 'GET', '/v1/webhooks', { apiKey: account.apiKey }))
      .body.items;
    expect(after.map((w) => w.id)).not.toContain(webhookId);
  });

  it('never logs a secret', () => {
    expect(secrets.length).toBeGreaterThan(5);
    for (const service of system.services.values()) {
      const log = readFileSync(service.logPath, 'utf8');
      for (const secret of secrets) expect(log.includes(secret)).toBe(false);
    }
  });
});
