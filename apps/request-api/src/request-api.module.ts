import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AppConfig, ConfigModule } from '@bulk-export/config';
import { decodeExportCommand, decodeExportEvent, ExportCommand, HeardExportEvent } from '@bulk-export/contracts';
import { CommandConsumer, commandConsumerProvider, KafkaHealth, MessagingModule } from '@bulk-export/messaging';
import { ExportCommandsHandler } from './commands/export-commands.handler';
import { HEALTH_CHECKS, HealthController, LIVENESS_CHECKS, Logger, ObservabilityModule } from '@bulk-export/observability';
import { PersistenceModule, PostgresHealth } from '@bulk-export/persistence';
import { StorageModule } from '@bulk-export/storage';
import { ApiKeyGuard } from './auth/api-key.guard';
import { CredentialsController } from './credentials/credentials.controller';
import { SaveCredentialUseCase } from './credentials/save-credential.use-case';
import { CreateExportUseCase } from './exports/create-export.use-case';
import { ExportsController } from './exports/exports.controller';
import { ResumeExportUseCase } from './exports/resume-export.use-case';
import { RetryRunUseCase } from './exports/retry-run.use-case';
import { StopExportUseCase } from './exports/stop-export.use-case';
import { ErrorFilter } from './http/error.filter';
import { CreateWebhookUseCase } from './webhooks/create-webhook.use-case';
import { DeleteWebhookUseCase } from './webhooks/delete-webhook.use-case';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher';
import { WebhookEventsHandler } from './webhooks/webhook-events.handler';
import { WebhooksController } from './webhooks/webhooks.controller';

export const SERVICE = 'request-api';
const COMMAND_CONSUMER = Symbol('COMMAND_CONSUMER');
const WEBHOOK_EVENTS_CONSUMER = Symbol('WEBHOOK_EVENTS_CONSUMER');

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
      controllers: [HealthController, CredentialsController, ExportsController, WebhooksController],
      providers: [
        ApiKeyGuard,
        SaveCredentialUseCase,
        CreateExportUseCase,
        StopExportUseCase,
        RetryRunUseCase,
        ResumeExportUseCase,
        { provide: APP_FILTER, inject: [Logger], useFactory: (l: Logger) => new ErrorFilter(l) },
        ExportCommandsHandler,
        commandConsumerProvider<ExportCommand, ExportCommandsHandler>(COMMAND_CONSUMER, SERVICE, ExportCommandsHandler, (topics, handler) => ({
          topic: topics.commands,
          decode: decodeExportCommand,
          handle: (command) => handler.handle(command),
          onInvalid: (reason, message) => handler.answerInvalid(reason, message),
          onGiveUp: (command, reason) => handler.answerFailed(command, reason),
        })),
        CreateWebhookUseCase,
        DeleteWebhookUseCase,
        WebhookDispatcher,
        WebhookEventsHandler,
        // Webhooks follow the events topic in a consumer group of their own.
        commandConsumerProvider<HeardExportEvent, WebhookEventsHandler>(WEBHOOK_EVENTS_CONSUMER, `${SERVICE}.webhooks`, WebhookEventsHandler, (topics, handler) => ({
          topic: topics.exportEvents,
          decode: decodeExportEvent,
          handle: (event) => handler.handle(event),
        })),
        {
          provide: LIVENESS_CHECKS,
          inject: [COMMAND_CONSUMER, WEBHOOK_EVENTS_CONSUMER],
          useFactory: (c: CommandConsumer<ExportCommand>, w: CommandConsumer<HeardExportEvent>) => [c, w],
        },
        { provide: HEALTH_CHECKS, inject: [PostgresHealth, KafkaHealth], useFactory: (p: PostgresHealth, k: KafkaHealth) => [p, k] },
      ],
    };
  }
}
