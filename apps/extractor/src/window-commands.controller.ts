import { Controller, UseFilters } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { decodeMessage, ExtractWindow } from '@bulk-export/contracts';
import { CommandErrors, GivenUpCommand, GivenUpCommands, HandleCommands } from '@bulk-export/messaging';
import { StageWindowUseCase } from './stage-window.use-case';

/** The extractor's commands: stage a run's window (KafkaCommandTransport). */
@Controller()
@UseFilters(new CommandErrors())
export class WindowCommandsController {
  constructor(private readonly stageWindow: StageWindowUseCase) {}

  @HandleCommands('windowCommands', (bytes) => decodeMessage(ExtractWindow, bytes))
  stage(@Payload() command: ExtractWindow): Promise<void> {
    return this.stageWindow.execute({ runId: command.runId, attempt: command.attempt });
  }

  @GivenUpCommands('windowCommands')
  giveUp(@Payload() { command, reason }: GivenUpCommand<ExtractWindow>): Promise<void> {
    return this.stageWindow.giveUp({ runId: command.runId, attempt: command.attempt }, reason);
  }
}
