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
import { ExtractTaskUseCase } from './extract-task.use-case';
import { ExtractTasksController } from './extract-tasks.controller';
import { PlanRunUseCase } from './plan-run.use-case';
import { PlanRunsController } from './plan-runs.controller';

export const SERVICE = 'extractor';

@Module({})
export class ExtractorModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: ExtractorModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(logger, SERVICE),
        PersistenceModule.forRoot(),
        MessagingModule.forRoot(SERVICE),
      ],
      controllers: [HealthController, PlanRunsController, ExtractTasksController],
      providers: [
        RunLifecycle,
        StagingStore,
        TaskSteps,
        PlanRunUseCase,
        ExtractTaskUseCase,
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
