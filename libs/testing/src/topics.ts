import { ITopicConfig, Kafka, logLevel } from 'kafkajs';
import { STACK } from './local-stack';
import { waitFor } from './wait-for';

function admin() {
  return new Kafka({
    clientId: 'test-topics',
    brokers: STACK.kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
}

/**
 * Creates a topic and returns once every partition has a leader that answers for it. The broker may answer a
 * metadata request right after the creation with "does not host this topic-partition",
 * which kafkajs' own wait does not retry, so the wait here is a condition with a deadline.
 * Metadata can name a leader before that broker serves the partition: a ListOffsets then
 * fails with "not the leader for that topic-partition" (a test's first fetchTopicOffsets did, once).
 */
export async function createTopic(topic: ITopicConfig): Promise<void> {
  const kafka = admin();
  await kafka.connect();
  try {
    const partitions = topic.numPartitions ?? 1;
    if (!(await kafka.listTopics()).includes(topic.topic)) {
      await kafka.createTopics({ waitForLeaders: false, topics: [{ replicationFactor: -1, ...topic }] });
    }
    await waitFor(
      `leaders of the ${partitions} partitions of ${topic.topic}`,
      async () => {
        const [meta] = (await kafka.fetchTopicMetadata({ topics: [topic.topic] })).topics;
        if (meta.partitions.length !== partitions || meta.partitions.some((p) => p.leader < 0)) return false;
        // Throws until every partition's leader answers for it.
        return (await kafka.fetchTopicOffsets(topic.topic)).length === partitions;
      },
      { timeoutMs: 30_000 },
    );
  } finally {
    await kafka.disconnect();
  }
}

/** Deletes the topics whose names start with `prefix` (a test system's own). */
export async function deleteTopics(prefix: string): Promise<void> {
  const kafka = admin();
  await kafka.connect();
  try {
    const topics = (await kafka.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await kafka.deleteTopics({ topics, timeout: 30_000 });
  } finally {
    await kafka.disconnect();
  }
}
