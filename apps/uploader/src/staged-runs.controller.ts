import { Controller, UseFilters } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { decodeMessage, UploadRun } from '@bulk-export/contracts';
import { CommandErrors, GivenUpCommand, GivenUpCommands, HandleCommands } from '@bulk-export/messaging';
import { UploadRunUseCase } from './upload-run.use-case';

/** The uploader's commands: upload a staged run (KafkaCommandTransport). */
@Controller()
@UseFilters(new CommandErrors())
export class StagedRunsController {
  constructor(private readonly uploadRun: UploadRunUseCase) {}

  @HandleCommands('stagedRuns', (bytes) => decodeMessage(UploadRun, bytes))
  upload(@Payload() command: UploadRun): Promise<void> {
    return this.uploadRun.execute({ runId: command.runId, attempt: command.attempt });
  }

  @GivenUpCommands('stagedRuns')
  giveUp(@Payload() { command, reason }: GivenUpCommand<UploadRun>): Promise<void> {
    return this.uploadRun.giveUp({ runId: command.runId, attempt: command.attempt }, reason);
  }
}
