import { Logger } from '@bulk-export/observability';
import { KafkaClient } from './kafka.client';

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
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly kafka: KafkaClient,
    private readonly topic: string,
    private readonly logger: Logger,
  ) {}

  async send(sources: DeadLetterSource[], reasons: string[]): Promise<void> {
    if (sources.length === 0) return;
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
    for (const s of sources) this.counts.set(s.topic, (this.counts.get(s.topic) ?? 0) + 1);
    this.logger.warn('messages dead-lettered', {
      count: sources.length,
      sourceTopic: sources[0].topic,
      firstReason: reasons[0],
    });
  }

  /** Messages dead-lettered since start, per source topic. */
  total(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
