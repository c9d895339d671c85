import { Admin, ICustomPartitioner, Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import { AppConfig } from '@bulk-export/config';
import { SPREAD_KEY } from '@bulk-export/contracts';
import { Logger } from '@bulk-export/observability';
import { registerCompressionCodecs } from './compression-codecs';
import { quietIdleRequestQueues } from './kafkajs-request-queue';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * kafkajs's default partitioner, except for spreading keys (spreadKey): a run's tasks go
 * round the partitions, so replicas that own equal shares of the partitions get equal
 * shares of the tasks (hashing task ids gave one of two replicas twice the other's).
 */
export const spreadingPartitioner: ICustomPartitioner = () => {
  const byHash = Partitioners.DefaultPartitioner();
  return (args) => {
    const key = args.message.key?.toString() ?? '';
    const m = SPREAD_KEY.exec(key);
    return m ? Number(m[1]) % args.partitionMetadata.length : byHash(args);
  };
};

/**
 * One Kafka client per service, with one idempotent producer and one admin, all logging
 * through the service's logger.
 */
export class KafkaClient {
  readonly kafka: Kafka;
  readonly producer: Producer;
  readonly admin: Admin;
  readonly clientId: string;
  readonly brokers: string[];
  private connected = false;

  constructor(config: AppConfig, service: string, logger: Logger) {
    registerCompressionCodecs();
    quietIdleRequestQueues();
    const log = logger.child({ component: 'kafkajs' });
    this.clientId = `bulk-export-${service}`;
    this.brokers = config.KAFKA_BROKERS.split(',');
    this.kafka = new Kafka({
      clientId: this.clientId,
      brokers: this.brokers,
      connectionTimeout: 5000,
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 10_000 },
      logLevel: config.LOG_LEVEL === 'debug' ? logLevel.INFO : logLevel.WARN,
      logCreator: () => (entry) => {
        const level = LEVELS[entry.level] ?? 'info';
        const { message, ...fields } = entry.log;
        log[level](String(message), { namespace: entry.namespace, ...fields });
      },
    });
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: spreadingPartitioner,
      // An idempotent producer keeps retrying; callers (outbox relay, dead letter) retry on their own schedule anyway.
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 10_000 },
    });
    this.admin = this.kafka.admin();
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await Promise.all([this.producer.connect(), this.admin.connect()]);
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }

  /** Creates the topics that do not exist yet (others are left as they are). */
  async ensureTopics(names: string[], partitions: number): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const missing = names.filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    try {
      await this.admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: -1 })),
      });
    } catch (e) {
      // Another service (or replica) may have created them at the same moment.
      const now = new Set(await this.admin.listTopics());
      if (missing.some((t) => !now.has(t))) throw e;
    }
  }
}
