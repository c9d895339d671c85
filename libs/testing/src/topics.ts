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
 * Creates a topic and returns once every partition has a leader. The broker may answer a
 * metadata request right after the creation with "does not host this topic-partition",
 * which kafkajs' own wait does not retry, so the wait here is a condition with a deadline.
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
        return meta.partitions.length === partitions && meta.partitions.every((p) => p.leader >= 0);
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
