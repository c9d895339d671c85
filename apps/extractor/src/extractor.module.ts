import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@bulk-export/config';
import { decodeMessage, ExtractWindow } from '@bulk-export/contracts';
import { CommandConsumer, commandConsumerProvider, KafkaHealth, MessagingModule } from '@bulk-export/messaging';
import { HEALTH_CHECKS, HealthController, LIVENESS_CHECKS, Logger, ObservabilityModule } from '@bulk-export/observability';
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
        commandConsumerProvider<ExtractWindow, StageWindowUseCase>(WINDOW_CONSUMER, SERVICE, StageWindowUseCase, (topics, useCase) => ({
          topic: topics.windowCommands,
          decode: (bytes) => decodeMessage(ExtractWindow, bytes),
          handle: (command) => useCase.execute({ runId: command.runId, attempt: command.attempt }),
          onGiveUp: (command, reason) => useCase.giveUp({ runId: command.runId, attempt: command.attempt }, reason),
        })),
        { provide: LIVENESS_CHECKS, inject: [WINDOW_CONSUMER], useFactory: (c: CommandConsumer<ExtractWindow>) => [c.liveness] },
        {
          provide: HEALTH_CHECKS,
          inject: [PostgresHealth, KafkaHealth, WINDOW_CONSUMER],
          useFactory: (p: PostgresHealth, k: KafkaHealth, c: CommandConsumer<ExtractWindow>) => [p, k, c.readiness],
        },
      ],
    };
  }
}
