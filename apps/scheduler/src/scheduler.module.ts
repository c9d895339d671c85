import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@bulk-export/config';
import { KafkaHealth, MessagingModule } from '@bulk-export/messaging';
import {
  HEALTH_CHECKS,
  HealthController,
  LIVENESS_CHECKS,
  Logger,
  ObservabilityModule,
} from '@bulk-export/observability';
import { PersistenceModule, PostgresHealth } from '@bulk-export/persistence';
import { EmitDueWindowsUseCase } from './emit-due-windows.use-case';
import { WindowTicker } from './window-ticker';

export const SERVICE = 'scheduler';

@Module({})
export class SchedulerModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: SchedulerModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(logger, SERVICE),
        PersistenceModule.forRoot(),
        MessagingModule.forRoot(SERVICE),
      ],
      controllers: [HealthController],
      providers: [
        EmitDueWindowsUseCase,
        WindowTicker,
        { provide: LIVENESS_CHECKS, inject: [WindowTicker], useFactory: (t: WindowTicker) => [t] },
        {
          provide: HEALTH_CHECKS,
          inject: [PostgresHealth, KafkaHealth, WindowTicker],
          useFactory: (p: PostgresHealth, k: KafkaHealth, t: WindowTicker) => [p, k, t.readiness],
        },
      ],
    };
  }
}
