import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@bulk-export/config';
import { KafkaCommandTransport, KafkaHealth, MessagingModule } from '@bulk-export/messaging';
import {
  HEALTH_CHECKS,
  HealthController,
  LIVENESS_CHECKS,
  Logger,
  ObservabilityModule,
} from '@bulk-export/observability';
import { PersistenceModule, PostgresHealth } from '@bulk-export/persistence';
import { RunLifecycle, StagingStore, TaskSteps } from '@bulk-export/pipeline';
import { StorageModule } from '@bulk-export/storage';
import { ExportBucket } from './export-bucket';
import { UploaderDuckDb } from './uploader-duckdb';
import { FinishRunUseCase } from './finish-run.use-case';
import { WriteGroupUseCase } from './write-group.use-case';
import { WriteTasksController } from './write-tasks.controller';

export const SERVICE = 'uploader';

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
      controllers: [HealthController, WriteTasksController],
      providers: [
        RunLifecycle,
        StagingStore,
        TaskSteps,
        ExportBucket,
        UploaderDuckDb,
        WriteGroupUseCase,
        FinishRunUseCase,
        {
          provide: LIVENESS_CHECKS,
          inject: [KafkaCommandTransport],
          useFactory: (t: KafkaCommandTransport) => [t.liveness],
        },
        {
          provide: HEALTH_CHECKS,
          inject: [PostgresHealth, KafkaHealth, KafkaCommandTransport],
          useFactory: (p: PostgresHealth, k: KafkaHealth, t: KafkaCommandTransport) => [p, k, t.readiness],
        },
      ],
    };
  }
}
