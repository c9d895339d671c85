import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AppConfig, ConfigModule } from '@bulk-export/config';
import { KafkaHealth, MessagingModule } from '@bulk-export/messaging';
import { HEALTH_CHECKS, HealthController, LIVENESS_CHECKS, Logger, ObservabilityModule } from '@bulk-export/observability';
import { PersistenceModule, PostgresHealth } from '@bulk-export/persistence';
import { StorageModule } from '@bulk-export/storage';
import { ApiKeyGuard } from './auth/api-key.guard';
import { CredentialsController } from './credentials/credentials.controller';
import { SaveCredentialUseCase } from './credentials/save-credential.use-case';
import { CreateExportUseCase } from './exports/create-export.use-case';
import { ExportsController } from './exports/exports.controller';
import { ErrorFilter } from './http/error.filter';

export const SERVICE = 'request-api';

@Module({})
export class RequestApiModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: RequestApiModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(logger),
        PersistenceModule.forRoot(),
        MessagingModule.forRoot(SERVICE),
        StorageModule,
      ],
      controllers: [HealthController, CredentialsController, ExportsController],
      providers: [
        ApiKeyGuard,
        SaveCredentialUseCase,
        CreateExportUseCase,
        { provide: APP_FILTER, inject: [Logger], useFactory: (l: Logger) => new ErrorFilter(l) },
        { provide: LIVENESS_CHECKS, useValue: [] },
        { provide: HEALTH_CHECKS, inject: [PostgresHealth, KafkaHealth], useFactory: (p: PostgresHealth, k: KafkaHealth) => [p, k] },
      ],
    };
  }
}
