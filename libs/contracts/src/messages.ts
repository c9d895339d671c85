import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  Equals,
  IsDefined,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Min,
  ValidateNested,
} from 'class-validator';
import { CreateExportRequest } from './create-export.request';
import { CreateWebhookRequest } from './create-webhook.request';
import { IsDateTime } from './is-date-time';
import { EXPORT_STATUSES, ID_REGEX, RUN_STATUSES } from '@bulk-export/domain';

const IsId = () => Matches(ID_REGEX, { message: '$property must be an id' });

/**
 * Every message that crosses Kafka between our services. Each has a `version`; a
 * consumer validates what it receives with decodeMessage() and dead-letters what fails.
 */

/** scheduler (and a manual retry) → extractor: plan attempt `attempt` of run `runId` into its extract tasks. */
export class PlanRunCommand {
  static readonly type = 'plan-run';
  @Equals(1) version: 1;
  @IsId() runId: string;
  @IsId() exportId: string;
  @IsInt() @Min(1) attempt: number;
}

/**
 * A task of run `runId`'s attempt `attempt` (RunTask): extract tasks go to the extractors,
 * write and finish tasks to the uploaders. `taskAttempt` is the task's own try.
 */
export class RunTaskCommand {
  static readonly type = 'run-task';
  @Equals(1) version: 1;
  @IsId() runId: string;
  @IsInt() @Min(1) attempt: number;
  @IsId() taskId: string;
  @IsIn(['extract', 'write', 'finish']) kind: 'extract' | 'write' | 'finish';
  @IsInt() @Min(1) taskAttempt: number;
}

/** A state change of an export or one of its runs, published for anyone to follow. */
export class ExportEvent {
  static readonly type = 'export-status';
  @Equals(1) version: 1;
  @Equals('export-status') type: 'export-status';
  @IsId() exportId: string;
  @IsId() accountId: string;
  @IsOptional() @IsId() runId?: string;
  @IsIn([...EXPORT_STATUSES, ...RUN_STATUSES]) status: string;
  @IsOptional() @IsString() error?: string;
  /** A run that is done but incomplete through no fault of its own (e.g. retention deleted messages of its window). */
  @IsOptional() @IsString() warning?: string;
  @IsDateTime() at: string;
}

/** internal service → request-api: create an export. The same idempotency key twice creates one. */
export class CreateExportCommand {
  static readonly type = 'create-export';
  @Equals(1) version: 1;
  @Equals('create-export') type: 'create-export';
  @IsId() accountId: string;
  @IsString() @Length(1, 200) idempotencyKey: string;
  @IsDefined() @IsObject() @ValidateNested() @Type(() => CreateExportRequest) export: CreateExportRequest;
}

/** internal service → request-api: stop a recurring export. */
export class StopExportCommand {
  static readonly type = 'stop-export';
  @Equals(1) version: 1;
  @Equals('stop-export') type: 'stop-export';
  @IsId() accountId: string;
  @IsId() exportId: string;
  @IsOptional() @IsString() @Length(1, 200) idempotencyKey?: string;
}

/** internal service → request-api: resume a recurring export that was paused after its runs kept failing. */
export class ResumeExportCommand {
  static readonly type = 'resume-export';
  @Equals(1) version: 1;
  @Equals('resume-export') type: 'resume-export';
  @IsId() accountId: string;
  @IsId() exportId: string;
  @IsOptional() @IsString() @Length(1, 200) idempotencyKey?: string;
}

/**
 * internal service → request-api: register a webhook endpoint. The sender chooses the
 * endpoint's signing `secret` (a REST caller is given one instead): the answer goes out on
 * the events topic, which anyone may read, so a secret can only travel in this direction.
 */
export class CreateWebhookCommand {
  static readonly type = 'create-webhook';
  @Equals(1) version: 1;
  @Equals('create-webhook') type: 'create-webhook';
  @IsId() accountId: string;
  @IsString() @Length(1, 200) idempotencyKey: string;
  @IsDefined() @IsObject() @ValidateNested() @Type(() => CreateWebhookRequest) webhook: CreateWebhookRequest;
  @IsString()
  @Matches(/^[\x21-\x7e]{32,200}$/, { message: 'secret must be 32 to 200 printable ASCII characters, no spaces' })
  secret: string;
}

/** internal service → request-api: delete a webhook endpoint (its deliveries not sent yet are dropped). */
export class DeleteWebhookCommand {
  static readonly type = 'delete-webhook';
  @Equals(1) version: 1;
  @Equals('delete-webhook') type: 'delete-webhook';
  @IsId() accountId: string;
  @IsId() webhookId: string;
  @IsOptional() @IsString() @Length(1, 200) idempotencyKey?: string;
}

export type ExportCommand =
  CreateExportCommand | StopExportCommand | ResumeExportCommand | CreateWebhookCommand | DeleteWebhookCommand;

/** The `type` of every command of the command topic. */
export const COMMAND_TYPES = [
  'create-export',
  'stop-export',
  'resume-export',
  'create-webhook',
  'delete-webhook',
] as const;

/** request-api → internal services, on the events topic: what became of a command. */
export class CommandResult {
  static readonly type = 'command-result';
  @Equals(1) version: 1;
  @Equals('command-result') type: 'command-result';
  @IsIn([...COMMAND_TYPES, 'unknown']) command: string;
  @IsIn(['accepted', 'rejected']) status: 'accepted' | 'rejected';
  @IsOptional() @IsString() idempotencyKey?: string;
  @IsOptional() @IsString() accountId?: string;
  @IsOptional() @IsId() exportId?: string;
  @IsOptional() @IsId() webhookId?: string;
  @IsOptional() @IsString() code?: string;
  @IsOptional() errors?: { field: string; message: string }[];
  @IsDateTime() at: string;
}
