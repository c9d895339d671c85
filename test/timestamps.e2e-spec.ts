import { Kafka, logLevel } from 'kafkajs';
import { clockPast, createTopic, gcs, STACK, TestAccount, TestSystem } from '@bulk-export/testing';
import { createExport, exportDone, saveCredentials } from './support/exports';

/**
 * No silent gaps from producers' clocks: a one-time window's offsets are found by time, so
 * with CreateTime a message stamped inside the window but stored after a later-stamped one
 * is left out. The run says so, with the partition and offsets, and says that the topic
 * keeps the producers' timestamps; the export shows the warning too.
 */
describe('message timestamps out of order', () => {
  let system: TestSystem;
  let account: TestAccount;
  let bucket: string;
  let credentialId: string;

  beforeAll(async () => {
    system = await TestSystem.start();
    account = await system.createAccount();
    ({ bucket, credentialId } = await saveCredentials(system, account));
  });

  afterAll(async () => {
    await system?.stop();
  });

  it("warns with partition and offsets when a window is short because timestamps go backwards, and names the topic's CreateTime", async () => {
    const hour = 3_600_000;
    const from = Date.now() - 48 * hour;
    const to = Date.now() - 24 * hour;
    const event = (seq: number) =>
      JSON.stringify({
        eventName: 'Charged',
        ts: 20261127000000,
        profile: { identity: `u${seq}` },
        eventProps: { seq },
      });
    const kafka = new Kafka({ clientId: 'timestamps-test', brokers: [STACK.kafkaBrokers], logLevel: logLevel.NOTHING });
    // Idempotent: a send retried right after the topic's creation must not write a message twice.
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await createTopic({
        topic: account.eventsTopic,
        numPartitions: 2,
        configEntries: [{ name: 'message.timestamp.type', value: 'CreateTime' }],
      });
      await producer.send({
        topic: account.eventsTopic,
        messages: [
          // Partition 0: its first message is stamped after the window, then three inside it (a producer's clock
          // behind).
          { partition: 0, value: event(0), timestamp: String(to + hour) },
          { partition: 0, value: event(1), timestamp: String(from + 1 * hour) },
          { partition: 0, value: event(2), timestamp: String(from + 2 * hour) },
          { partition: 0, value: event(3), timestamp: String(from + 3 * hour) },
          // Partition 1: in the window, but one stamped earlier than the one before it.
          { partition: 1, value: event(4), timestamp: String(from + 5 * hour) },
          { partition: 1, value: event(5), timestamp: String(from + 4 * hour) },
          { partition: 1, value: event(6), timestamp: String(from + 6 * hour) },
        ],
      });
    } finally {
      await producer.disconnect();
    }

    const id = await createExport(system, account, {
      credentialId,
      type: 'all_events',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      format: 'json',
    });
    const done = await exportDone(system, account, id);
    const run = done.runs[0];
    // What the window's offsets hold: partition 1's three events; partition 0's are left out, and the run says so.
    expect(run.rowsWritten).toBe(3);
    const rows = (
      await Promise.all(
        (await gcs.list(bucket))
          .filter((o) => o.name.startsWith(id) && !o.name.endsWith('-manifest.json'))
          .map((o) => gcs.download(bucket, o.name)),
      )
    )
      .flatMap((b) => b.toString().trim().split('\n').slice(1))
      .map((l) => JSON.parse(l).eventProps.seq as number)
      .sort();
    expect(rows).toEqual([4, 5, 6]);
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(run.warning).toContain(
      `partition 0: 3 messages (offsets 1–3) are stamped inside the window but stored after offset 0, stamped later (${iso(to + hour)}), so the window's offsets, found by time, leave them out of this export`,
    );
    expect(run.warning).toContain(
      `partition 1: timestamps go backwards once in the window's range, first at offset 1 (${iso(from + 4 * hour)}, earlier than offset 0 at ${iso(from + 5 * hour)})`,
    );
    expect(run.warning).toContain(
      `topic ${account.eventsTopic} keeps the producers' timestamps (message.timestamp.type=CreateTime)`,
    );
    expect((done as { warning?: string }).warning).toBe(run.warning);
  });

  it('says nothing of clocks for a topic stamped with LogAppendTime whose timestamps are in order', async () => {
    const other = await system.createAccount();
    const { credentialId: otherCredential } = await saveCredentials(system, other, bucket);
    const kafka = new Kafka({ clientId: 'timestamps-test', brokers: [STACK.kafkaBrokers], logLevel: logLevel.NOTHING });
    // Idempotent: a send retried right after the topic's creation must not write a message twice.
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const from = Date.now() + 1;
    try {
      await createTopic({
        topic: other.eventsTopic,
        numPartitions: 2,
        configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
      });
      await producer.send({
        topic: other.eventsTopic,
        messages: [0, 1, 2].map((i) => ({
          partition: i % 2,
          value: JSON.stringify({
            eventName: 'Charged',
            ts: 20261127000000,
            profile: { identity: `u${i}` },
            eventProps: { seq: i },
          }),
        })),
      });
    } finally {
      await producer.disconnect();
    }
    const to = Date.now() + 1000;
    await clockPast(to);
    const id = await createExport(system, other, {
      credentialId: otherCredential,
      type: 'all_events',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      format: 'json',
    });
    const done = await exportDone(system, other, id);
    expect(done.runs[0].rowsWritten).toBe(3);
    expect(done.runs[0].warning).toBeUndefined();
    expect((done as { warning?: string }).warning).toBeUndefined();
  });
});
