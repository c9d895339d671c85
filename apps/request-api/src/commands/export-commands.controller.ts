import { Controller, UseFilters } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { decodeExportCommand, ExportCommand } from '@bulk-export/contracts';
import {
  CommandErrors,
  GivenUpCommand,
  GivenUpCommands,
  HandleCommands,
  InvalidCommand,
  InvalidCommands,
} from '@bulk-export/messaging';
import { ExportCommandsHandler } from './export-commands.handler';

/**
 * Internal services' export commands from the command topic (KafkaCommandTransport); each is answered on the events
 * topic.
 */
@Controller()
@UseFilters(new CommandErrors())
export class ExportCommandsController {
  constructor(private readonly handler: ExportCommandsHandler) {}

  @HandleCommands('commands', decodeExportCommand)
  handle(@Payload() command: ExportCommand): Promise<void | { rejected: string }> {
    return this.handler.handle(command);
  }

  @InvalidCommands('commands')
  answerInvalid(@Payload() { reason, message }: InvalidCommand): Promise<void> {
    return this.handler.answerInvalid(reason, message);
  }

  @GivenUpCommands('commands')
  answerFailed(@Payload() { command, reason }: GivenUpCommand<ExportCommand>): Promise<void> {
    return this.handler.answerFailed(command, reason);
  }
}
