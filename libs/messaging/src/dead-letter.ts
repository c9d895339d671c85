import { Logger, Metrics } from '@bulk-export/observability';
import { KafkaClient } from './kafka.client';

const BATCH_BYTES = 512 * 1024;
/**
 * The most of a message's value the dead-letter topic gets: a broker takes about 1 MB per
 * message unless a topic allows more, and a source topic may allow more. A longer value is
 * cut there (header `x-truncated-from`: its size); the whole message stays in its topic,
 * where the headers point.
 */
export const DEAD_LETTER_VALUE_BYTES = 900 * 1024;
const KEY_BYTES = 16 * 1024;

/**
 * About what a message takes in a batch on the wire: its key's and value's UTF-8 bytes (as cut), and room for headers.
 */
export function deadLetterSize(s: Pick<DeadLetterSource, 'key' | 'value'>): number {
  return Math.min(byteLength(s.value), DEAD_LETTER_VALUE_BYTES) + Math.min(byteLength(s.key), KEY_BYTES) + 256;
}

/** Bytes, not UTF-16 units: a string of CJK text takes three bytes a character. */
function byteLength(bytes: Buffer | string | null): number {
  return bytes === null ? 0 : typeof bytes === 'string' ? Buffer.byteLength(bytes, 'utf8') : bytes.length;
}

/** The bytes to send, cut at `limit`, and the original size when cut. */
function cut(bytes: Buffer | string | null, limit: number): { bytes: Buffer | string | null; from?: number } {
  if (bytes === null || bytes.length <= limit / 4) return { bytes };
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  return buffer.length <= limit ? { bytes: buffer } : { bytes: buffer.subarray(0, limit), from: buffer.length };
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
 * unchanged (a value over DEAD_LETTER_VALUE_BYTES cut there), with why and where it came
 * from in headers, and it is counted.
 */
export class DeadLetter {
  constructor(
    private readonly kafka: KafkaClient,
    private readonly topic: string,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  /**
   * `source` names the kind of topic for the metric (e.g. `events`, or one of our topics): never an account's topic
   * name.
   */
  async send(sources: DeadLetterSource[], reasons: string[], source: string): Promise<void> {
    if (sources.length === 0) return;
    // Send in batches the broker accepts (its default limit for one request is 1 MB).
    let start = 0;
    while (start < sources.length) {
      let end = start;
      let bytes = 0;
      while (end < sources.length && (end === start || bytes + deadLetterSize(sources[end]) < BATCH_BYTES))
        bytes += deadLetterSize(sources[end++]);
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
      messages: sources.map((s, i) => {
        const key = cut(s.key, KEY_BYTES);
        const value = cut(s.value, DEAD_LETTER_VALUE_BYTES);
        return {
          key: key.bytes,
          value: value.bytes,
          headers: {
            'x-reason': reasons[i].slice(0, 1000),
            'x-source-topic': s.topic,
            'x-source-partition': String(s.partition),
            'x-source-offset': s.offset,
            ...(value.from !== undefined ? { 'x-truncated-from': String(value.from) } : {}),
            ...(key.from !== undefined ? { 'x-key-truncated-from': String(key.from) } : {}),
          },
        };
      }),
    });
  }
}
