import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { AppConfig } from '@bulk-export/config';
import { Topics, topicNames } from '@bulk-export/contracts';
import { backoffDelay } from '@bulk-export/domain';
import { HealthCheck, Logger, Metrics, ServiceStarted } from '@bulk-export/observability';
import { OutboxRepository, PostgresHealth } from '@bulk-export/persistence';
import { DeadLetter } from './dead-letter';
import { KafkaClient } from './kafka.client';
import { KafkaCommandTransport } from './kafka-command.transport';
import { OutboxRelay } from './outbox.relay';
import { sleepUnless } from './sleep';

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

/**
 * Connects the service's Kafka client, makes sure our topics exist and runs the outbox
 * relay; all of it after the HTTP server listens (ServiceStarted), in the background, and
 * tried again with backoff for as long as Kafka does not answer: Kafka being down never
 * keeps a service from starting or from answering HTTP. `ready` resolves once connected.
 */
@Injectable()
export class MessagingLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private stopped = false;
  private opened!: () => void;
  readonly ready: Promise<void> = new Promise((resolve) => (this.opened = resolve));

  constructor(
    private readonly kafka: KafkaClient,
    private readonly relay: OutboxRelay,
    private readonly config: AppConfig,
    @Inject(TOPICS) private readonly topics: Topics,
    private readonly started: ServiceStarted,
    private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    void this.started.listening.then(() => this.connect());
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.relay.stop();
    await this.kafka.disconnect();
  }

  private async connect(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.kafka.connect();
        await this.kafka.ensureTopics(Object.values(this.topics), this.config.INTERNAL_TOPIC_PARTITIONS);
        if (this.stopped) return;
        if (attempt > 1) this.logger.info('connected to Kafka', { attempts: attempt });
        this.relay.start();
        this.opened();
        return;
      } catch (error) {
        const delay = backoffDelay(attempt, 1000, 30_000);
        this.logger.warn('Kafka does not answer; connecting again later', { attempt, retryInMs: delay, error });
        await sleepUnless(delay, () => this.stopped);
      }
    }
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
        {
          provide: KafkaCommandTransport,
          inject: [
            KafkaClient,
            DeadLetter,
            Logger,
            Metrics,
            TOPICS,
            AppConfig,
            PostgresHealth,
            KafkaHealth,
            MessagingLifecycle,
          ],
          useFactory: (
            k: KafkaClient,
            d: DeadLetter,
            l: Logger,
            m: Metrics,
            t: Topics,
            c: AppConfig,
            p: PostgresHealth,
            kh: KafkaHealth,
            ml: MessagingLifecycle,
          ) => new KafkaCommandTransport(service, k, d, l, m, t, c, [p, kh], ml),
        },
      ],
      exports: [
        SERVICE_NAME,
        TOPICS,
        KafkaClient,
        OutboxRelay,
        DeadLetter,
        KafkaHealth,
        MessagingLifecycle,
        KafkaCommandTransport,
      ],
    };
  }
}
