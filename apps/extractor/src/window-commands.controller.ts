import { Controller, UseFilters } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { decodeMessage, ExtractWindow, RunTaskCommand } from '@bulk-export/contracts';
import { CommandErrors, GivenUpCommand, GivenUpCommands, HandleCommands } from '@bulk-export/messaging';
import { ExtractTaskUseCase } from './extract-task.use-case';
import { PlanWindowUseCase } from './plan-window.use-case';

/** The extractor's commands: plan a run's window into extract tasks, and run extract tasks (KafkaCommandTransport). */
@Controller()
@UseFilters(new CommandErrors())
export class WindowCommandsController {
  constructor(
    private readonly planWindow: PlanWindowUseCase,
    private readonly extractTask: ExtractTaskUseCase,
  ) {}

  @HandleCommands('windowCommands', (bytes) => decodeMessage(ExtractWindow, bytes))
  plan(@Payload() command: ExtractWindow): Promise<void> {
    return this.planWindow.execute({ runId: command.runId, attempt: command.attempt });
  }

  @GivenUpCommands('windowCommands')
  giveUpPlan(@Payload() { command, reason }: GivenUpCommand<ExtractWindow>): Promise<void> {
    return this.planWindow.giveUp({ runId: command.runId, attempt: command.attempt }, reason);
  }

  // A group of its own: members of one group must all subscribe to the same topics.
  @HandleCommands('extractTasks', (bytes) => decodeMessage(RunTaskCommand, bytes), { group: 'tasks', concurrency: (c) => c.EXTRACT_TASKS_AT_ONCE })
  extract(@Payload() command: RunTaskCommand): Promise<void> {
    return this.extractTask.execute(command);
  }

  @GivenUpCommands('extractTasks')
  giveUpTask(@Payload() { command, reason }: GivenUpCommand<RunTaskCommand>): Promise<void> {
    return this.extractTask.giveUp(command, reason);
  }
}
