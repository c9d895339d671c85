import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@bulk-export/config';
import { Topics, topicNames } from '@bulk-export/contracts';
import { HealthCheck, Logger, Metrics } from '@bulk-export/observability';
import { OutboxRepository } from '@bulk-export/persistence';
import { DeadLetter } from './dead-letter';
import { KafkaClient } from './kafka.client';
import { OutboxRelay } from './outbox.relay';

export const SERVICE_NAME = Symbol('SERVICE_NAME');
export const TOPICS = Symbol('TOPICS');

/** Kafka health, for /health/ready: the cluster answers a metadata request. */
export class KafkaHealth implements HealthCheck {
  readonly name = 'kafka';
  constructor(private readonly kafka: KafkaClient) {}
  async check(): Promise<void> {
    await this.kafka.admin.describeCluster();
  }
}

/** Connects the service's Kafka client, makes sure our topics exist, runs the outbox relay. */
@Injectable()
class MessagingLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly kafka: KafkaClient,
    private readonly relay: OutboxRelay,
    private readonly config: AppConfig,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.kafka.connect();
    await this.kafka.ensureTopics(Object.values(this.topics), this.config.INTERNAL_TOPIC_PARTITIONS);
    this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
    await this.kafka.disconnect();
  }
}

@Global()
@Module({})
export class MessagingModule {
  static forRoot(service: string): DynamicModule {
    return {
      module: MessagingModule,
      providers: [
        { provide: SERVICE_NAME, useValue: service },
        { provide: TOPICS, inject: [AppConfig], useFactory: (c: AppConfig) => topicNames(c.TOPIC_PREFIX) },
        {
          provide: KafkaClient,
          inject: [AppConfig, Logger],
          useFactory: (c: AppConfig, logger: Logger) => new KafkaClient(c, service, logger),
        },
        {
          provide: OutboxRelay,
          inject: [OutboxRepository, KafkaClient, AppConfig, Logger, Metrics],
          useFactory: (o: OutboxRepository, k: KafkaClient, c: AppConfig, l: Logger, m: Metrics) =>
            new OutboxRelay(o, k, c.OUTBOX_POLL_MS, c.OUTBOX_RETENTION_MS, l.child({ component: 'outbox' }), m),
        },
        {
          provide: DeadLetter,
          inject: [KafkaClient, TOPICS, Logger, Metrics],
          useFactory: (k: KafkaClient, t: Topics, l: Logger, m: Metrics) => new DeadLetter(k, t.deadLetter, l, m),
        },
        { provide: KafkaHealth, inject: [KafkaClient], useFactory: (k: KafkaClient) => new KafkaHealth(k) },
        MessagingLifecycle,
      ],
      exports: [SERVICE_NAME, TOPICS, KafkaClient, OutboxRelay, DeadLetter, KafkaHealth],
    };
  }
}
