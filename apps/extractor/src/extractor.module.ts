import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@bulk-export/config';
import { decodeMessage, ExtractWindow, Topics } from '@bulk-export/contracts';
import { CommandConsumer, commandConsumerSettings, DeadLetter, KafkaClient, KafkaHealth, MessagingModule, TOPICS } from '@bulk-export/messaging';
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
              ...commandConsumerSettings(c, SERVICE, [postgres, kafkaHealth]),
              decode: (bytes) => decodeMessage(ExtractWindow, bytes),
              handle: (command) => useCase.execute({ runId: command.runId, attempt: command.attempt }),
            }),
        },
        { provide: LIVENESS_CHECKS, inject: [WINDOW_CONSUMER], useFactory: (c: CommandConsumer<ExtractWindow>) => [c] },
        { provide: HEALTH_CHECKS, inject: [PostgresHealth, KafkaHealth], useFactory: (p: PostgresHealth, k: KafkaHealth) => [p, k] },
      ],
    };
  }
}
