import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import {
  api,
  HttpProbe,
  OwnKafka,
  ProbeAnswer,
  ServiceProcess,
  TestAccount,
  TestSystem,
  waitFor,
  withPostgresStopped,
} from '@bulk-export/testing';
import { oneTimeExportBody, saveCredentials } from './support/exports';

/**
 * Dependencies going away under a running request-api, as an operator would see it: a
 * REST probe polls its routes through the outage and counts its answers. With Kafka down
 * every route works (writes go through the outbox and reach Kafka once it is back) and the
 * process never exits; with Postgres down every route answers 503 `unavailable` within 2 s.
 */
type Health = { status: string; checks: Record<string, string> };

function probeRoutes(system: TestSystem, account: TestAccount, credentialId: string): HttpProbe {
  return new HttpProbe(
    system.api,
    [
      { method: 'GET', path: '/v1/exports' },
      { method: 'POST', path: '/v1/exports', body: () => oneTimeExportBody(credentialId) },
      { method: 'GET', path: '/v1/credentials/gcp' },
    ],
    account.apiKey,
  );
}

const unanswered = (answers: ProbeAnswer[]) =>
  answers.filter((a) => a.status === 0 || a.error !== undefined || a.ms > 2000);

describe('outages: the Kafka broker killed for 30 s under request-api', () => {
  let kafka: OwnKafka;
  let system: TestSystem;
  let account: TestAccount;
  let credentialId: string;

  beforeAll(async () => {
    kafka = await OwnKafka.start();
    // kafkajs gives its consumer up after one retry, as it did after ten in the outage reported: the service opens a
    // new one.
    system = await TestSystem.start(
      { KAFKA_BROKERS: kafka.brokers, KAFKA_SESSION_TIMEOUT_MS: '6000', KAFKA_CONSUMER_RETRIES: '1' },
      ['request-api'],
    );
    account = await system.createAccount();
    ({ credentialId } = await saveCredentials(system, account));
  }, 180_000);

  afterAll(async () => {
    await system?.stop();
    await kafka?.destroy();
  });

  it('answers every route, starts serving HTTP without Kafka, reconnects its consumer in the process and delivers what was written meanwhile', async () => {
    const service = system.service('request-api');
    const pid = service.pid;
    const probe = probeRoutes(system, account, credentialId);
    probe.start();
    await kafka.kill();
    const killedAt = Date.now();
    try {
      const ready = await waitFor('readiness saying Kafka is down', async () => {
        const res = await api<Health>(system.api, 'GET', '/health/ready');
        return res.status === 503 && res.body.checks.kafka?.startsWith('down') ? res.body : undefined;
      });
      expect(ready.status).toBe('down');
      expect((await api(system.api, 'GET', '/health/live')).status).toBe(200);

      // A request-api started while the broker is down listens and answers before any Kafka connection.
      const fresh = new ServiceProcess('request-api', system.env, system.logDir, 1);
      await fresh.start({ waitReady: false });
      try {
        expect((await api(fresh.url, 'GET', '/health/live')).status).toBe(200);
        const freshReady = await api<Health>(fresh.url, 'GET', '/health/ready');
        expect(freshReady.status).toBe(503);
        expect(freshReady.body.checks.kafka).toMatch(/^down/);
        expect(freshReady.body.checks.consumers).toMatch(/^down: connecting/);
        expect((await api(fresh.url, 'GET', '/v1/exports', { apiKey: account.apiKey })).status).toBe(200);
      } finally {
        await fresh.stop();
      }
      await waitFor('the broker down for 30 s', () => Date.now() - killedAt >= 30_000, {
        timeoutMs: 60_000,
        intervalMs: 500,
      });
    } finally {
      await kafka.resume();
    }
    await waitFor(
      'request-api ready again',
      async () => (await api(system.api, 'GET', '/health/ready')).status === 200,
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const answers = await probe.stop();

    expect(service.pid).toBe(pid);
    expect(unanswered(answers)).toEqual([]);
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    const created = answers.filter((a) => a.path === '/v1/exports' && a.status === 201).length;
    expect(created).toBeGreaterThan(10);
    // Every export created during the outage is delivered to Kafka through the outbox once it is back.
    await waitFor(
      'the outbox published',
      async () =>
        Number((await system.db.query(`SELECT count(*) AS n FROM outbox WHERE published_at IS NULL`))[0].n) === 0,
      {
        timeoutMs: 60_000,
      },
    );
    // The consumer works again: a command sent on Kafka now is handled.
    const producer = new Kafka({
      clientId: 'outage-test',
      brokers: [kafka.brokers],
      logLevel: logLevel.NOTHING,
    }).producer();
    await producer.connect();
    try {
      const key = `after-outage-${Date.now()}`;
      await producer.send({
        topic: `${system.env.TOPIC_PREFIX}export.commands`,
        messages: [
          {
            key: account.id,
            value: JSON.stringify({
              version: 1,
              type: 'create-export',
              accountId: account.id,
              idempotencyKey: key,
              export: oneTimeExportBody(credentialId),
            }),
          },
        ],
      });
      await waitFor(
        'the command handled',
        async () => (await system.db.query(`SELECT 1 FROM exports WHERE idempotency_key = $1`, [key])).length === 1,
        { timeoutMs: 60_000 },
      );
    } finally {
      await producer.disconnect();
    }
    // kafkajs gave the consumer up during the outage, and the process opened a new one.
    const log = readFileSync(service.logPath, 'utf8');
    expect(log).toContain('"msg":"consumer crashed; it is reconnected in the process"');
    expect(log).toContain('"msg":"consumer reconnected"');
    const metrics = await (await fetch(`${system.api}/metrics`)).text();
    expect(metrics).toMatch(/bulk_export_consumer_reconnects_total\{[^}]*\} [1-9]/);
    expect(metrics).toMatch(/bulk_export_consumer_up\{[^}]*\} 1/);
  });
});

describe('outages: Postgres stopped under request-api', () => {
  let system: TestSystem;
  let account: TestAccount;
  let credentialId: string;

  beforeAll(async () => {
    system = await TestSystem.start({}, ['request-api']);
    account = await system.createAccount();
    ({ credentialId } = await saveCredentials(system, account));
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('answers every route 503 unavailable with Retry-After within 2 s, writes nothing, and serves again once Postgres is back', async () => {
    const count = async () => Number((await system.db.query(`SELECT count(*) AS n FROM exports`))[0].n);
    const before = await count();
    const probe = probeRoutes(system, account, credentialId);
    let answers: ProbeAnswer[] = [];
    await withPostgresStopped(async () => {
      probe.start();
      try {
        await waitFor('answers during the outage', () => probe.answers.length >= 30, { timeoutMs: 60_000 });
        const ready = await api<Health>(system.api, 'GET', '/health/ready');
        expect(ready.status).toBe(503);
        expect(ready.body.checks.postgres).toMatch(/^down/);
        expect(ready.body.checks.kafka).toBe('up');
        expect((await api(system.api, 'GET', '/health/live')).status).toBe(200);
      } finally {
        answers = await probe.stop();
      }
    });
    expect(unanswered(answers)).toEqual([]);
    expect(answers.filter((a) => a.status !== 503 || a.code !== 'unavailable' || a.retryAfter !== '5')).toEqual([]);

    await waitFor(
      'request-api ready again',
      async () => (await api(system.api, 'GET', '/health/ready')).status === 200,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(await count()).toBe(before);
    const res = await api(system.api, 'POST', '/v1/exports', {
      apiKey: account.apiKey,
      body: oneTimeExportBody(credentialId),
    });
    expect(res.status).toBe(201);
    expect(await count()).toBe(before + 1);
  });
});
