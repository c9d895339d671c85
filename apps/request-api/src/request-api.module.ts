import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AppConfig, ConfigModule } from '@bulk-export/config';
import { KafkaCommandTransport, KafkaHealth, MessagingModule } from '@bulk-export/messaging';
import { ExportCommandsController } from './commands/export-commands.controller';
import { ExportCommandsHandler } from './commands/export-commands.handler';
import {
  HEALTH_CHECKS,
  HealthController,
  LIVENESS_CHECKS,
  Logger,
  ObservabilityModule,
} from '@bulk-export/observability';
import { PersistenceModule, PostgresHealth } from '@bulk-export/persistence';
import { StorageModule } from '@bulk-export/storage';
import { ApiKeyGuard } from './auth/api-key.guard';
import { CredentialsController } from './credentials/credentials.controller';
import { DeleteCredentialUseCase } from './credentials/delete-credential.use-case';
import { ListCredentialsUseCase } from './credentials/list-credentials.use-case';
import { SaveCredentialUseCase } from './credentials/save-credential.use-case';
import { CreateExportUseCase } from './exports/create-export.use-case';
import { ExportsController } from './exports/exports.controller';
import { GetExportUseCase } from './exports/get-export.use-case';
import { ListExportsUseCase } from './exports/list-exports.use-case';
import { ListRunsUseCase } from './exports/list-runs.use-case';
import { ResumeExportUseCase } from './exports/resume-export.use-case';
import { RetryRunUseCase } from './exports/retry-run.use-case';
import { StopExportUseCase } from './exports/stop-export.use-case';
import { ErrorFilter } from './http/error.filter';
import { CreateWebhookUseCase } from './webhooks/create-webhook.use-case';
import { DeleteWebhookUseCase } from './webhooks/delete-webhook.use-case';
import { ListDeliveriesUseCase } from './webhooks/list-deliveries.use-case';
import { ListWebhooksUseCase } from './webhooks/list-webhooks.use-case';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher';
import { WebhookEventsController } from './webhooks/webhook-events.controller';
import { WebhookEventsHandler } from './webhooks/webhook-events.handler';
import { WebhooksController } from './webhooks/webhooks.controller';

export const SERVICE = 'request-api';

@Module({})
export class RequestApiModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: RequestApiModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(logger, SERVICE),
        PersistenceModule.forRoot(),
        MessagingModule.forRoot(SERVICE),
        StorageModule,
      ],
      controllers: [
        HealthController,
        CredentialsController,
        ExportsController,
        WebhooksController,
        ExportCommandsController,
        WebhookEventsController,
      ],
      providers: [
        ApiKeyGuard,
        SaveCredentialUseCase,
        DeleteCredentialUseCase,
        ListCredentialsUseCase,
        CreateExportUseCase,
        StopExportUseCase,
        RetryRunUseCase,
        ResumeExportUseCase,
        ListExportsUseCase,
        GetExportUseCase,
        ListRunsUseCase,
        { provide: APP_FILTER, inject: [Logger], useFactory: (l: Logger) => new ErrorFilter(l) },
        ExportCommandsHandler,
        CreateWebhookUseCase,
        DeleteWebhookUseCase,
        ListDeliveriesUseCase,
        ListWebhooksUseCase,
        WebhookDispatcher,
        WebhookEventsHandler,
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
