import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@bulk-export/config';
import { decodeMessage, UploadRun } from '@bulk-export/contracts';
import { CommandConsumer, commandConsumerProvider, KafkaHealth, MessagingModule } from '@bulk-export/messaging';
import { HEALTH_CHECKS, HealthController, LIVENESS_CHECKS, Logger, ObservabilityModule } from '@bulk-export/observability';
import { PersistenceModule, PostgresHealth } from '@bulk-export/persistence';
import { RunLifecycle } from '@bulk-export/pipeline';
import { StorageModule } from '@bulk-export/storage';
import { UploadRunUseCase } from './upload-run.use-case';

export const SERVICE = 'uploader';
const STAGED_CONSUMER = Symbol('STAGED_CONSUMER');

@Module({})
export class UploaderModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: UploaderModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(logger, SERVICE),
        PersistenceModule.forRoot(),
        MessagingModule.forRoot(SERVICE),
        StorageModule,
      ],
      controllers: [HealthController],
      providers: [
        RunLifecycle,
        UploadRunUseCase,
        commandConsumerProvider<UploadRun, UploadRunUseCase>(STAGED_CONSUMER, SERVICE, UploadRunUseCase, (topics, useCase) => ({
          topic: topics.stagedRuns,
          decode: (bytes) => decodeMessage(UploadRun, bytes),
          handle: (command) => useCase.execute({ runId: command.runId, attempt: command.attempt }),
          onGiveUp: (command, reason) => useCase.giveUp({ runId: command.runId, attempt: command.attempt }, reason),
        })),
        { provide: LIVENESS_CHECKS, inject: [STAGED_CONSUMER], useFactory: (c: CommandConsumer<UploadRun>) => [c.liveness] },
        {
          provide: HEALTH_CHECKS,
          inject: [PostgresHealth, KafkaHealth, STAGED_CONSUMER],
          useFactory: (p: PostgresHealth, k: KafkaHealth, c: CommandConsumer<UploadRun>) => [p, k, c.readiness],
        },
      ],
    };
  }
}
