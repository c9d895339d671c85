import { Inject, Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { KafkaMessage } from 'kafkajs';
import {
  COMMAND_TYPES,
  CommandResult,
  CreateExportRequest,
  CreateWebhookRequest,
  ExportCommand,
  Topics,
} from '@bulk-export/contracts';
import { DomainError } from '@bulk-export/domain';
import { KafkaClient, TOPICS } from '@bulk-export/messaging';
import { Logger } from '@bulk-export/observability';
import { AccountsRepository } from '@bulk-export/persistence';
import { CreateExportUseCase } from '../exports/create-export.use-case';
import { ResumeExportUseCase } from '../exports/resume-export.use-case';
import { StopExportUseCase } from '../exports/stop-export.use-case';
import { CreateWebhookUseCase } from '../webhooks/create-webhook.use-case';
import { DeleteWebhookUseCase } from '../webhooks/delete-webhook.use-case';

/**
 * Internal services' commands from the command topic (exports and webhooks), run through
 * the same use cases as REST. Each command is answered on the events topic (accepted with the export id, or
 * rejected with the errors); a rejected command is also dead-lettered.
 */
@Injectable()
export class ExportCommandsHandler {
  constructor(
    private readonly createExport: CreateExportUseCase,
    private readonly stopExport: StopExportUseCase,
    private readonly resumeExport: ResumeExportUseCase,
    private readonly createWebhook: CreateWebhookUseCase,
    private readonly deleteWebhook: DeleteWebhookUseCase,
    private readonly accounts: AccountsRepository,
    private readonly kafka: KafkaClient,
    private readonly logger: Logger,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async handle(command: ExportCommand): Promise<void | { rejected: string }> {
    const base = { command: command.type, idempotencyKey: command.idempotencyKey, accountId: command.accountId };
    try {
      if (!(await this.accounts.findAccount(command.accountId))) {
        return this.refuse(base, 'unknown_account', [
          { field: 'accountId', message: `account ${command.accountId} does not exist` },
        ]);
      }
      const outcome = await this.execute(command);
      await this.answer({ ...base, status: 'accepted', ...outcome });
      this.logger.info('command accepted', { command: command.type, ...outcome });
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      return this.refuse(base, e.code, [{ field: e.field ?? '', message: e.message }]);
    }
  }

  /** Runs a command through the use case REST uses; the id of what it created or changed. */
  private async execute(command: ExportCommand): Promise<{ exportId: string } | { webhookId: string }> {
    switch (command.type) {
      case 'create-export':
        return {
          exportId: (
            await this.createExport.execute({
              ...this.request(command.export),
              accountId: command.accountId,
              idempotencyKey: command.idempotencyKey,
            })
          ).id,
        };
      case 'stop-export':
        return {
          exportId: (await this.stopExport.execute({ accountId: command.accountId, exportId: command.exportId })).id,
        };
      case 'resume-export':
        return {
          exportId: (await this.resumeExport.execute({ accountId: command.accountId, exportId: command.exportId })).id,
        };
      case 'create-webhook': {
        const webhook = plainToInstance(CreateWebhookRequest, command.webhook);
        const { endpoint } = await this.createWebhook.execute({
          accountId: command.accountId,
          request: webhook,
          secret: command.secret,
          idempotencyKey: command.idempotencyKey,
        });
        return { webhookId: endpoint.id };
      }
      case 'delete-webhook':
        await this.deleteWebhook.execute({ accountId: command.accountId, webhookId: command.webhookId });
        return { webhookId: command.webhookId };
    }
  }

  /** Answers a command that kept failing and was given up (dead-lettered as a poison message). */
  async answerFailed(command: ExportCommand, reason: string): Promise<void> {
    await this.answer({
      command: command.type,
      status: 'rejected',
      idempotencyKey: command.idempotencyKey,
      accountId: command.accountId,
      code: 'internal_error',
      errors: [{ field: '', message: reason }],
    });
  }

  /** Answers a message that could not even be decoded. */
  async answerInvalid(reason: string, message: KafkaMessage): Promise<void> {
    let loose: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(message.value?.toString('utf8') ?? '');
      if (parsed && typeof parsed === 'object') loose = parsed as Record<string, unknown>;
    } catch {
      // not JSON: nothing to echo
    }
    const text = (v: unknown) => (typeof v === 'string' && v.length <= 200 ? v : undefined);
    const command = (COMMAND_TYPES as readonly unknown[]).includes(loose.type) ? (loose.type as string) : 'unknown';
    await this.answer({
      command,
      status: 'rejected',
      idempotencyKey: text(loose.idempotencyKey),
      accountId: text(loose.accountId),
      code: 'invalid_command',
      errors: reason.split('; ').map((r) => {
        const colon = r.indexOf(': ');
        return colon > 0 ? { field: r.slice(0, colon), message: r.slice(colon + 2) } : { field: '', message: r };
      }),
    });
  }

  private request(body: CreateExportRequest): CreateExportRequest {
    // Already validated as part of the command; make it a plain request again.
    const request = plainToInstance(CreateExportRequest, body);
    if (validateSync(request).length) throw new Error('unreachable: command validated on receipt');
    return request;
  }

  private async refuse(
    base: { command: string; idempotencyKey?: string; accountId?: string },
    code: string,
    errors: { field: string; message: string }[],
  ): Promise<{ rejected: string }> {
    await this.answer({ ...base, status: 'rejected', code, errors });
    return { rejected: `${code}: ${errors.map((e) => e.message).join('; ')}` };
  }

  private async answer(result: Omit<CommandResult, 'version' | 'type' | 'at'>): Promise<void> {
    const message: CommandResult = {
      version: 1,
      type: 'command-result',
      ...result,
      at: new Date().toISOString(),
    } as CommandResult;
    await this.kafka.producer.send({
      topic: this.topics.exportEvents,
      acks: -1,
      messages: [{ key: result.exportId ?? result.idempotencyKey ?? null, value: JSON.stringify(message) }],
    });
  }
}
