import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { createTopic, STACK, uniqueSuffix, waitFor } from '@bulk-export/testing';

/**
 * Reads the range with the built reader in its own Node.js process (@platformatic/kafka is
 * an ES module, which Jest's module loader cannot take), and returns the values read.
 */
async function readWithBuiltReader(topic: string, end: string, partitionMaxBytes: number): Promise<string[]> {
  const reader = join(resolve(__dirname, '..'), 'dist/libs/messaging/src/topic-range-reader.js');
  const script = `
    const { readRanges } = require(${JSON.stringify(reader)});
    const values = [];
    readRanges({ clientId: 'range-reader-test', brokers: [${JSON.stringify(STACK.kafkaBrokers)}] }, { debug: () => undefined }, {
      topic: ${JSON.stringify(topic)},
      ranges: [{ partition: 0, start: 0n, end: ${end}n }],
      partitionMaxBytes: ${partitionMaxBytes},
      onRecords: (partition, records) => { for (const r of records) values.push(String(r.value)); },
    }).then(() => process.stdout.write(JSON.stringify(values)), (e) => { console.error(e); process.exit(1); });`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as string[];
}

/**
 * The extractor's range reader against the real broker, with transactional producers:
 * only committed and non-transactional messages are read, whether an aborted transaction's
 * marker comes in the same fetch or several fetches later, and when one producer aborts
 * twice in a row.
 */
describe('range reader and transactions', () => {
  const kafka = new Kafka({ clientId: 'range-reader-test', brokers: [STACK.kafkaBrokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const topic = `range-reader-${uniqueSuffix()}`;
  const producers: Producer[] = [];
  const expected: string[] = [];
  const pad = 'x'.repeat(1000);

  async function connected(producer: Producer): Promise<Producer> {
    producers.push(producer);
    await producer.connect();
    return producer;
  }

  beforeAll(async () => {
    await admin.connect();
    await createTopic({ topic, numPartitions: 1 });
    const transactional = await connected(
      kafka.producer({ transactionalId: `tx-${topic}`, idempotent: true, maxInFlightRequests: 1 }),
    );
    const plain = await connected(kafka.producer({ idempotent: true, maxInFlightRequests: 1 }));
    const send = async (sender: Pick<Producer, 'send'>, values: string[], keep: boolean) => {
      const [sent] = await sender.send({ topic, messages: values.map((value) => ({ value: `${value} ${pad}` })) });
      if (keep) expected.push(...values);
      return sent;
    };

    let tx = await transactional.transaction();
    await send(tx, ['committed 1', 'committed 2'], true);
    await tx.commit();

    // A large aborted transaction in many batches, with another producer's messages in between:
    // fetched a few KiB at a time, its abort marker comes many fetches after its first batch.
    tx = await transactional.transaction();
    for (let i = 0; i < 30; i++) {
      await send(tx, [`aborted big ${i}a`, `aborted big ${i}b`], false);
      if (i % 10 === 0) await send(plain, [`plain ${i}`], true);
    }
    await tx.abort();

    // The same producer aborts twice in a row, then commits.
    for (const n of [1, 2]) {
      tx = await transactional.transaction();
      await send(tx, [`aborted small ${n}`], false);
      await tx.abort();
    }
    tx = await transactional.transaction();
    await send(tx, ['committed 3'], true);
    await tx.commit();
    const lastOffset = BigInt((await send(plain, ['plain last'], true)).baseOffset as string);

    // tx.commit() returns once the commit is decided; the broker writes its markers into the
    // partition afterwards. Until then the last stable offset (what fetchTopicOffsets gives
    // under read_committed) stops before 'committed 3', and so before 'plain last'.
    await waitFor(
      `the last stable offset of ${topic} to pass ${lastOffset}`,
      async () => BigInt((await admin.fetchTopicOffsets(topic))[0].high) > lastOffset,
      { timeoutMs: 30_000, intervalMs: 50 },
    );
  });

  afterAll(async () => {
    await Promise.allSettled(producers.map((p) => p.disconnect()));
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it.each([
    ['a few KiB per fetch', 4 * 1024],
    ['1 MiB per fetch', 1024 * 1024],
  ])('reads only committed and non-transactional messages, %s', async (_, partitionMaxBytes) => {
    const [{ high }] = await admin.fetchTopicOffsets(topic);
    const read = (await readWithBuiltReader(topic, high, partitionMaxBytes)).map((v) => v.slice(0, -pad.length - 1));
    expect(read).toEqual(expected);
  });
});
