import { Controller, UseFilters } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { decodeMessage, RunTaskCommand } from '@bulk-export/contracts';
import { CommandErrors, GivenUpCommand, GivenUpCommands, HandleCommands } from '@bulk-export/messaging';
import { ExtractTaskUseCase } from './extract-task.use-case';

/** A run's extract tasks, spread over the extractors (KafkaCommandTransport). */
@Controller()
@UseFilters(new CommandErrors())
export class ExtractTasksController {
  constructor(private readonly extractTask: ExtractTaskUseCase) {}

  // A group of its own: members of one group must all subscribe to the same topics.
  @HandleCommands('extractTasks', (bytes) => decodeMessage(RunTaskCommand, bytes), {
    group: 'tasks',
    concurrency: (c) => c.EXTRACT_TASKS_AT_ONCE,
  })
  extract(@Payload() command: RunTaskCommand): Promise<void> {
    return this.extractTask.execute(command);
  }

  @GivenUpCommands('extractTasks')
  giveUp(@Payload() { command, reason }: GivenUpCommand<RunTaskCommand>): Promise<void> {
    return this.extractTask.giveUp(command, reason);
  }
}
