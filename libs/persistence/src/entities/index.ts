import { Account } from './account.entity';
import { ApiKey } from './api-key.entity';
import { Export } from './export.entity';
import { ExportFile } from './export-file.entity';
import { ExportRun } from './export-run.entity';
import { GcsCredential } from './gcs-credential.entity';
import { OutboxMessage } from './outbox-message.entity';
import { RunTask } from './run-task.entity';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';

export {
  Account,
  ApiKey,
  Export,
  ExportFile,
  ExportRun,
  GcsCredential,
  OutboxMessage,
  RunTask,
  WebhookDelivery,
  WebhookEndpoint,
};
export type { WebhookDeliveryStatus } from './webhook-delivery.entity';
export const ENTITIES = [
  Account,
  ApiKey,
  GcsCredential,
  Export,
  ExportRun,
  ExportFile,
  RunTask,
  OutboxMessage,
  WebhookEndpoint,
  WebhookDelivery,
];
