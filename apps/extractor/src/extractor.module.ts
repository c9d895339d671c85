import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@bulk-export/config';
import { consumerGroup, decodeMessage, ExtractWindow, Topics } from '@bulk-export/contracts';
import { CommandConsumer, DeadLetter, KafkaClient, KafkaHealth, MessagingModule, TOPICS } from '@bulk-export/messaging';
import { HEALTH_CHECKS, HealthController, LIVENESS_CHECKS, Logger, Metrics, ObservabilityModule } from '@bulk-export/observability';
import { PersistenceModule, PostgresHealth } from '@bulk-export/persistence';
import { RunLifecycle } from '@bulk-export/pipeline';
import { StageWindowUseCase } from './stage-window.use-case';

export const SERVICE = 'extractor';
const WINDOW_CONSUMER = Symbol('WINDOW_CONSUMER');

@Module({})
export class ExtractorModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: ExtractorModule,
      imports: [ConfigModule.forRoot(config), ObservabilityModule.forRoot(logger, SERVICE), PersistenceModule.forRoot(), MessagingModule.forRoot(SERVICE)],
      controllers: [HealthController],
      providers: [
        RunLifecycle,
        StageWindowUseCase,
        {
          provide: WINDOW_CONSUMER,
          inject: [KafkaClient, DeadLetter, Logger, Metrics, TOPICS, AppConfig, StageWindowUseCase, PostgresHealth, KafkaHealth],
          useFactory: (
            kafka: KafkaClient,
            dlq: DeadLetter,
            log: Logger,
            metrics: Metrics,
            topics: Topics,
            c: AppConfig,
            useCase: StageWindowUseCase,
            postgres: PostgresHealth,
            kafkaHealth: KafkaHealth,
          ) =>
            new CommandConsumer(kafka, dlq, log, metrics, {
              topic: topics.windowCommands,
              groupId: consumerGroup(c.TOPIC_PREFIX, SERVICE),
              decode: (bytes) => decodeMessage(ExtractWindow, bytes),
              handle: (command) => useCase.execute({ runId: command.runId, attempt: command.attempt }),
              onFatal: () => process.exit(1),
              sessionTimeoutMs: c.KAFKA_SESSION_TIMEOUT_MS,
              maxFailures: c.COMMAND_MAX_FAILURES,
              retryBaseMs: c.COMMAND_RETRY_BASE_MS,
              dependencies: [postgres, kafkaHealth],
            }),
        },
        { provide: LIVENESS_CHECKS, inject: [WINDOW_CONSUMER], useFactory: (c: CommandConsumer<ExtractWindow>) => [c] },
        { provide: HEALTH_CHECKS, inject: [PostgresHealth, KafkaHealth], useFactory: (p: PostgresHealth, k: KafkaHealth) => [p, k] },
      ],
    };
  }
}
