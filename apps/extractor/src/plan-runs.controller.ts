import { Controller, UseFilters } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { decodeMessage, PlanRunCommand } from '@bulk-export/contracts';
import { CommandErrors, GivenUpCommand, GivenUpCommands, HandleCommands } from '@bulk-export/messaging';
import { PlanRunUseCase } from './plan-run.use-case';

/** The scheduler's PlanRunCommands: plan a run's attempt into extract tasks (KafkaCommandTransport). */
@Controller()
@UseFilters(new CommandErrors())
export class PlanRunsController {
  constructor(private readonly planRun: PlanRunUseCase) {}

  @HandleCommands('planRuns', (bytes) => decodeMessage(PlanRunCommand, bytes))
  plan(@Payload() command: PlanRunCommand): Promise<void> {
    return this.planRun.execute(command);
  }

  @GivenUpCommands('planRuns')
  giveUp(@Payload() { command, reason }: GivenUpCommand<PlanRunCommand>): Promise<void> {
    return this.planRun.giveUp(command, reason);
  }
}
