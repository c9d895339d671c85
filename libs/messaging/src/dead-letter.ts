import { Logger, Metrics } from '@bulk-export/observability';
import { KafkaClient } from './kafka.client';

const BATCH_BYTES = 512 * 1024;

function sizeOf(s: DeadLetterSource): number {
  return (s.value?.length ?? 0) + (s.key?.length ?? 0) + 256;
}

export interface DeadLetterSource {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
}

/**
 * Sets aside a message that cannot be understood: it goes to the dead-letter topic
 * unchanged, with why and where it came from in headers, and it is counted.
 */
export class DeadLetter {
  constructor(
    private readonly kafka: KafkaClient,
    private readonly topic: string,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** `source` names the kind of topic for the metric (e.g. `events`, or one of our topics): never an account's topic name. */
  async send(sources: DeadLetterSource[], reasons: string[], source: string): Promise<void> {
    if (sources.length === 0) return;
    // Send in batches the broker accepts (its default limit for one request is 1 MB).
    let start = 0;
    while (start < sources.length) {
      let end = start;
      let bytes = 0;
      while (end < sources.length && (end === start || bytes + sizeOf(sources[end]) < BATCH_BYTES)) bytes += sizeOf(sources[end++]);
      await this.sendBatch(sources.slice(start, end), reasons.slice(start, end));
      start = end;
    }
    this.metrics.deadLettered.inc({ source }, sources.length);
    this.logger.warn('messages dead-lettered', {
      count: sources.length,
      sourceTopic: sources[0].topic,
      firstReason: reasons[0],
    });
  }

  private async sendBatch(sources: DeadLetterSource[], reasons: string[]): Promise<void> {
    await this.kafka.producer.send({
      topic: this.topic,
      acks: -1,
      messages: sources.map((s, i) => ({
        key: s.key,
        value: s.value,
        headers: {
          'x-reason': reasons[i].slice(0, 1000),
          'x-source-topic': s.topic,
          'x-source-partition': String(s.partition),
          'x-source-offset': s.offset,
        },
      })),
    });
  }
}
