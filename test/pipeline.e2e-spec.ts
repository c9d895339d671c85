import { ConfigResourceTypes, Kafka, KafkaMessage, logLevel } from 'kafkajs';
// The messaging index loads @platformatic/kafka (ESM), which Jest does not transform: import the file.
import { DEAD_LETTER_VALUE_BYTES } from '../libs/messaging/src/dead-letter';
import {
  api,
  clockPast,
  createTopic,
  gcs,
  kcatConsumeAll,
  kcatProduce,
  makeServiceKey,
  STACK,
  TestAccount,
  TestSystem,
  waitFor,
} from '@bulk-export/testing';
import { crc32c } from '@node-rs/crc32';
import { parseFileName } from '@bulk-export/formats';
import { crc32cBase64 } from '@bulk-export/storage';
import { createExport, exportDone } from './support/exports';

/**
 * The whole path on the real stack: events produced with kcat before, inside and after a
 * window; credentials and a one-time export created over HTTP; the files in the bucket
 * checked line by line against what was produced inside the window.
 */
interface ExportBody {
  id: string;
  status: string;
  runs: {
    status: string;
    rowsExtracted: number;
    rowsRejected: number;
    rowsWritten: number;
    files: { name: string; rows: number }[];
  }[];
}

type Event = {
  eventName: string;
  ts: number;
  profile: Record<string, unknown>;
  deviceInfo?: Record<string, unknown>;
  eventProps: Record<string, unknown>;
};

function event(eventName: string, ts: number, i: number, extra: Partial<Event> = {}): Event {
  return {
    eventName,
    ts,
    profile: { identity: `user-${i}`, name: `Ünïcødé "${i}", <&>` },
    eventProps: { i, price: i * 1.5, ok: i % 2 === 0, none: null },
    ...extra,
  };
}

/** What a JSON file line must hold for an event: ts, profile, deviceInfo when present, eventProps. */
function expectedLine(e: Event): Record<string, unknown> {
  return e.deviceInfo
    ? { ts: e.ts, profile: e.profile, deviceInfo: e.deviceInfo, eventProps: e.eventProps }
    : { ts: e.ts, profile: e.profile, eventProps: e.eventProps };
}

function dayOf(ts: number): string {
  return String(ts).slice(0, 8);
}

describe('one-time JSON export, end to end', () => {
  let system: TestSystem;
  let account: TestAccount;
  let bucket: string;
  let credentialId: string;

  beforeAll(async () => {
    system = await TestSystem.start();
    account = await system.createAccount();
    bucket = await gcs.createBucket();
    const saved = await api<{ id: string }>(system.api, 'POST', '/v1/credentials/gcp', {
      apiKey: account.apiKey,
      body: { serviceKey: makeServiceKey(), bucket },
    });
    expect(saved.status).toBe(201);
    credentialId = saved.body.id;
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('exports exactly the events captured inside the window, split by event name and day', async () => {
    const before = [event('App Launched', 20261126090000, 1), event('Charged', 20261126090001, 2)];
    const inside = [
      event('App Launched', 20261127235959, 10),
      event('App Launched', 20261128000000, 11, { deviceInfo: { os: 'Android', model: 'Pixel "8"' } }),
      event('Charged', 20261127120000, 12),
      event('Charged', 20261127120001, 13, {
        eventProps: { nested: { deep: { deeper: [1, 'two', { three: 3 }] } }, comma: 'a,b', newline: 'line1\nline2' },
      }),
      event('Add-To/Cart', 20261128101010, 14),
      event('App Launched', 20261127000001, 15),
    ];
    const invalid = [
      'not json at all',
      JSON.stringify({ ts: 20261127000000, profile: {} }),
      JSON.stringify(['an', 'array']),
      // DuckDB's JSON reader takes these; JSON does not.
      '{"eventName":"Charged","ts":20261127000000,"eventProps":{"amount":NaN}}',
      '{"eventName":"Charged","ts":20261127000000,"eventProps":{"items":[1,2,]}}',
    ];
    const after = [event('App Launched', 20261128120000, 20)];

    await kcatProduce(
      account.eventsTopic,
      before.map((e) => JSON.stringify(e)),
    );
    const from = Date.now() + 1;
    await clockPast(from);
    await kcatProduce(account.eventsTopic, [...inside.map((e) => JSON.stringify(e)), ...invalid]);
    const to = Date.now() + 1;
    await clockPast(to);
    await kcatProduce(
      account.eventsTopic,
      after.map((e) => JSON.stringify(e)),
    );

    const created = await api<ExportBody>(system.api, 'POST', '/v1/exports', {
      apiKey: account.apiKey,
      body: {
        partner: 'gcp',
        credentialId,
        type: 'all_events',
        frequency: 'one_time',
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        format: 'json',
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('pending');

    const done = await exportDone(system, account, created.body.id);
    const run = done.runs[0];
    expect(run).toMatchObject({
      status: 'done',
      rowsExtracted: inside.length + invalid.length,
      rowsRejected: invalid.length,
      rowsWritten: inside.length,
    });

    // The bucket holds exactly one file per (event name, day) and the manifest.
    const groups = new Map<string, Event[]>();
    for (const e of inside) {
      const key = `${e.eventName}\u0000${dayOf(e.ts)}`;
      groups.set(key, [...(groups.get(key) ?? []), e]);
    }
    const objects = (await gcs.list(bucket)).filter((o) => o.name.startsWith(created.body.id));
    const dataFiles = objects.filter((o) => !o.name.endsWith('-manifest.json'));
    expect(objects.filter((o) => o.name.endsWith('-manifest.json'))).toHaveLength(1);
    expect(dataFiles).toHaveLength(groups.size);
    expect(run.files.map((f) => f.name).sort()).toEqual(dataFiles.map((o) => o.name).sort());

    for (const object of dataFiles) {
      const parts = parseFileName(object.name);
      expect(parts).toMatchObject({
        requestId: created.body.id,
        index: 0,
        databaseId: account.databaseId,
        extension: 'json',
      });
      expect(parts.runTime.getTime()).toBe(to);
      const expected = groups.get(`${parts.eventName}\u0000${parts.day}`);
      expect(expected).toBeDefined();
      const bytes = await gcs.download(bucket, object.name);
      // The checksum the file was declared with (computed as it was written) is that of the bytes that arrived.
      expect(object.crc32c).toBe(crc32cBase64(crc32c(bytes)));
      const lines = bytes.toString('utf8').split('\n');
      expect(lines.pop()).toBe('');
      expect(JSON.parse(lines[0])).toBe(parts.eventName);
      const rows = lines.slice(1).map((l) => JSON.parse(l));
      expect(rows).toHaveLength(expected!.length);
      expect(new Set(rows.map((r) => JSON.stringify(r)))).toEqual(
        new Set(expected!.map((e) => JSON.stringify(expectedLine(e)))),
      );
    }

    // The manifest lists every file with its rows and checksum.
    const manifest = JSON.parse(
      (await gcs.download(bucket, objects.find((o) => o.name.endsWith('-manifest.json'))!.name)).toString(),
    );
    expect(manifest.rows).toBe(inside.length);
    expect(manifest.files.map((f: { name: string; crc32c: string }) => [f.name, f.crc32c]).sort()).toEqual(
      dataFiles.map((o) => [o.name, o.crc32c]).sort(),
    );

    // Messages that are not events went to the dead-letter topic with a reason.
    const dead = await waitFor('dead letters', async () => {
      const messages = await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.dead-letter`);
      return messages.length >= invalid.length ? messages : undefined;
    });
    expect(dead.map((m) => m.value).sort()).toEqual([...invalid].sort());
    expect(dead.map((m) => m.headers).join('\n')).toContain('x-reason=not valid JSON');
    expect(dead.map((m) => m.headers).join('\n')).toContain(
      'x-reason=not valid JSON (NaN, Infinity or a trailing comma)',
    );
  });

  it('exports only the selected events; names that never occur yield no files', async () => {
    const from = Date.now() + 1;
    await clockPast(from);
    const inside = [
      event('Charged', 20261127100000, 30),
      event('App Launched', 20261127100001, 31),
      event('Charged', 20261127100002, 32),
    ];
    await kcatProduce(
      account.eventsTopic,
      inside.map((e) => JSON.stringify(e)),
    );
    const to = Date.now() + 1;
    await clockPast(to);
    const created = await api<ExportBody>(system.api, 'POST', '/v1/exports', {
      apiKey: account.apiKey,
      body: {
        partner: 'gcp',
        credentialId,
        type: 'select_events',
        events: ['Charged', 'Never Happens'],
        frequency: 'one_time',
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        format: 'json',
      },
    });
    expect(created.status).toBe(201);
    const done = await exportDone(system, account, created.body.id);
    expect(done.runs[0].files.map((f) => [parseFileName(f.name).eventName, f.rows])).toEqual([['Charged', 2]]);
    const lines = (await gcs.download(bucket, done.runs[0].files[0].name))
      .toString()
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.profile.identity).sort()).toEqual(['user-30', 'user-32']);
  });

  it('exports what retention left of a window, and says that the window reaches back past it', async () => {
    const fresh = await system.createAccount();
    const from = Date.now() + 1;
    await clockPast(from);
    await kcatProduce(
      fresh.eventsTopic,
      Array.from({ length: 20 }, (_, i) => JSON.stringify(event('Charged', 20261127100000, 100 + i))),
    );
    const to = Date.now() + 1;
    await clockPast(to);
    // Retention deletes the older half of each partition before the export reads it.
    const admin = new Kafka({
      clientId: 'retention',
      brokers: [STACK.kafkaBrokers],
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    let left: number;
    try {
      const offsets = await admin.fetchTopicOffsets(fresh.eventsTopic);
      const cuts = offsets.map((o) => ({ partition: o.partition, offset: String(Math.floor(Number(o.high) / 2)) }));
      left = offsets.reduce((n, o) => n + Number(o.high) - Math.floor(Number(o.high) / 2), 0);
      expect(left).toBeLessThan(20);
      await admin.deleteTopicRecords({ topic: fresh.eventsTopic, partitions: cuts });
    } finally {
      await admin.disconnect();
    }
    const credential = await api<{ id: string }>(system.api, 'POST', '/v1/credentials/gcp', {
      apiKey: fresh.apiKey,
      body: { serviceKey: makeServiceKey(), bucket },
    });
    const id = await createExport(system, fresh, {
      credentialId: credential.body.id,
      type: 'all_events',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      format: 'json',
    });
    const done = await exportDone(system, fresh, id);
    expect(done.runs[0]).toMatchObject({ status: 'done', rowsWritten: left });
    expect(done.runs[0].warning).toMatch(
      /^the window starts before the oldest message partition [\d, ]+ of the topic still holds?: messages the topic's retention deleted may have belonged to it(; topic \S+ keeps the producers' timestamps \(message\.timestamp\.type=CreateTime\).*)?$/,
    );
    // The run's `done` event carries it too.
    const events = (await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.events`)).map(
      (m) => JSON.parse(m.value) as { runId?: string; status: string; warning?: string },
    );
    expect(events.find((e) => e.runId === done.runs[0].id && e.status === 'done')?.warning).toBe(done.runs[0].warning);
  });

  it('reads events that producers compressed with gzip, snappy, lz4 or zstd', async () => {
    const from = Date.now() + 1;
    await clockPast(from);
    const codecs = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
    for (const [i, compression] of codecs.entries()) {
      await kcatProduce(
        account.eventsTopic,
        Array.from({ length: 50 }, (_, j) =>
          JSON.stringify(event(`Codec ${compression}`, 20261127100000, i * 100 + j)),
        ),
        undefined,
        { compression },
      );
    }
    const to = Date.now() + 1;
    await clockPast(to);
    const id = await createExport(system, account, {
      credentialId,
      type: 'all_events',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      format: 'json',
    });
    const done = await exportDone(system, account, id);
    expect(done.runs[0].files.map((f) => [parseFileName(f.name).eventName, f.rows]).sort()).toEqual(
      codecs.map((c) => [`Codec ${c}`, 50]).sort(),
    );
  });

  it('exports long event names and dead-letters megabytes of malformed messages', async () => {
    const from = Date.now() + 1;
    await clockPast(from);
    // fake-gcs-server's filesystem backend stores an object as one file, so names stay under 255 bytes here.
    const long = ['x'.repeat(150), 'é'.repeat(25), 'a-b/c '.repeat(10)];
    const junk = Array.from({ length: 30 }, (_, i) => JSON.stringify({ eventName: i, pad: 'A'.repeat(100_000) }));
    await kcatProduce(account.eventsTopic, [
      ...long.map((n, i) => JSON.stringify(event(n, 20261127100000, 200 + i))),
      ...junk,
    ]);
    const to = Date.now() + 1;
    await clockPast(to);
    const id = await createExport(system, account, {
      credentialId,
      type: 'all_events',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      format: 'json',
    });
    const done = await exportDone(system, account, id);
    expect(done.runs[0]).toMatchObject({ rowsWritten: 3, rowsRejected: 30 });
    expect(done.runs[0].files.map((f) => parseFileName(f.name).eventName).sort()).toEqual([...long].sort());
  });

  it('dead-letters a malformed message bigger than the dead-letter topic takes, cut, with its size', async () => {
    // The source topic allows 4 MiB messages; the dead-letter topic has the broker's default (about 1 MB).
    const kafka = new Kafka({ clientId: 'big-producer', brokers: [STACK.kafkaBrokers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const configEntries = [{ name: 'max.message.bytes', value: String(4 << 20) }];
    if ((await admin.listTopics()).includes(account.eventsTopic)) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: account.eventsTopic, configEntries }],
      });
    } else {
      await createTopic({ topic: account.eventsTopic, numPartitions: 3, configEntries });
    }
    await admin.disconnect();
    const from = Date.now() + 1;
    await clockPast(from);
    const big = `not json ${Date.now()} ${'B'.repeat(2_000_000)}`;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: account.eventsTopic,
      messages: [{ value: big }, { value: JSON.stringify(event('After Big', 20261127100000, 400)) }],
    });
    await producer.disconnect();
    const to = Date.now() + 1;
    await clockPast(to);
    const id = await createExport(system, account, {
      credentialId,
      type: 'all_events',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      format: 'json',
    });
    const done = await exportDone(system, account, id);
    expect(done.runs[0]).toMatchObject({ rowsWritten: 1, rowsRejected: 1 });
    const dead = (await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.dead-letter`)).filter((m) =>
      m.value.startsWith(big.slice(0, 30)),
    );
    expect(dead).toHaveLength(1);
    expect(dead[0].value).toBe(big.slice(0, DEAD_LETTER_VALUE_BYTES));
    expect(dead[0].headers).toContain(`x-truncated-from=${big.length}`);
    expect(dead[0].headers).toContain('x-reason=not valid JSON');
  });

  it('dead-letters a message that is not UTF-8 with its bytes as they came', async () => {
    const kafka = new Kafka({ clientId: 'binary-producer', brokers: [STACK.kafkaBrokers], logLevel: logLevel.NOTHING });
    const from = Date.now() + 1;
    await clockPast(from);
    const key = Buffer.from([0x6b, 0xc3, 0x28, Date.now() % 256]);
    const value = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x0a]), Buffer.from(`binary ${Date.now()}`)]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: account.eventsTopic,
      messages: [{ key, value }, { value: JSON.stringify(event('After Binary', 20261127100000, 500)) }],
    });
    await producer.disconnect();
    const to = Date.now() + 1;
    await clockPast(to);
    const id = await createExport(system, account, {
      credentialId,
      type: 'all_events',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      format: 'json',
    });
    expect((await exportDone(system, account, id)).runs[0]).toMatchObject({ rowsWritten: 1, rowsRejected: 1 });
    // kcat's output is text: read the dead-letter topic with a client that gives bytes.
    const consumer = kafka.consumer({ groupId: `dead-letter-reader-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: `${system.env.TOPIC_PREFIX}export.dead-letter`, fromBeginning: true });
    let found: KafkaMessage | null = null;
    void consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value?.subarray(4).equals(value.subarray(4))) found = message;
      },
    });
    try {
      const message = await waitFor('the binary message on the dead-letter topic', async () => found ?? undefined, {
        timeoutMs: 30_000,
      });
      expect(message.value).toEqual(value);
      expect(message.key).toEqual(key);
      expect(String(message.headers?.['x-reason'])).toBe('not valid JSON');
    } finally {
      await consumer.disconnect();
    }
  });

  it('shows the export in the Activity Log, newest first, paginated', async () => {
    const first = await api<{ items: { id: string }[]; nextCursor: string | null }>(
      system.api,
      'GET',
      '/v1/exports?limit=1',
      { apiKey: account.apiKey },
    );
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toBe(first.body.items[0].id);
    const second = await api<{ items: { id: string }[]; nextCursor: string | null }>(
      system.api,
      'GET',
      `/v1/exports?limit=1&cursor=${first.body.nextCursor}`,
      { apiKey: account.apiKey },
    );
    expect(second.body.items).toHaveLength(1);
    expect(second.body.items[0].id < first.body.items[0].id).toBe(true);
  });
});
