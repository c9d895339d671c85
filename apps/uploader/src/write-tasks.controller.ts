import { Controller, UseFilters } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { decodeMessage, RunTaskCommand } from '@bulk-export/contracts';
import { CommandErrors, GivenUpCommand, GivenUpCommands, HandleCommands } from '@bulk-export/messaging';
import { FinishRunUseCase } from './finish-run.use-case';
import { WriteGroupUseCase } from './write-group.use-case';

/** The uploader's commands: write a run's file group, or finish the run (KafkaCommandTransport). */
@Controller()
@UseFilters(new CommandErrors())
export class WriteTasksController {
  constructor(
    private readonly writeGroup: WriteGroupUseCase,
    private readonly finishRun: FinishRunUseCase,
  ) {}

  @HandleCommands('writeTasks', (bytes) => decodeMessage(RunTaskCommand, bytes), {
    concurrency: (c) => c.WRITE_TASKS_AT_ONCE,
  })
  handle(@Payload() command: RunTaskCommand): Promise<void> {
    return command.kind === 'finish' ? this.finishRun.execute(command) : this.writeGroup.execute(command);
  }

  @GivenUpCommands('writeTasks')
  giveUp(@Payload() { command, reason }: GivenUpCommand<RunTaskCommand>): Promise<void> {
    return command.kind === 'finish' ? this.finishRun.giveUp(command, reason) : this.writeGroup.giveUp(command, reason);
  }
}
