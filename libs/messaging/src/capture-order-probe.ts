import { ConfigResourceTypes } from 'kafkajs';
import type { Logger } from '@bulk-export/observability';
import { CaptureOrder, probeRanges } from './capture-order';
import type { KafkaClient } from './kafka.client';
import { logBounds, OffsetRange, readRanges } from './topic-range-reader';

/** How the topic stamps its messages (`message.timestamp.type`), or null if Kafka does not say. */
export async function timestampType(kafka: Pick<KafkaClient, 'admin'>, topic: string): Promise<string | null> {
  const described = await kafka.admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['message.timestamp.type'] }],
  });
  return (
    described.resources[0]?.configEntries.find((e) => e.configName === 'message.timestamp.type')?.configValue ?? null
  );
}

/** Reads the probe after each range's end (probeRanges) into `order`. */
export async function probeAfterRanges(
  kafka: Pick<KafkaClient, 'clientId' | 'brokers' | 'admin'>,
  logger: Pick<Logger, 'debug'>,
  topic: string,
  ranges: readonly OffsetRange[],
  order: CaptureOrder,
): Promise<void> {
  // No ranges: the topic does not exist (nothing was captured), and asking for its offsets would fail.
  if (ranges.length === 0) return;
  const bounds = await logBounds(kafka as KafkaClient, topic);
  const probe = probeRanges(ranges, new Map([...bounds].map(([p, b]) => [p, b.high])));
  if (probe.length === 0) return;
  await readRanges(kafka, logger, {
    topic,
    ranges: probe,
    onRecords: (partition, records) => order.observeAfterEnd(partition, records),
  });
}
