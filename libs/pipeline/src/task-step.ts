import { Injectable } from '@nestjs/common';
import { hostname } from 'node:os';
import { RunTaskCommand } from '@bulk-export/contracts';
import { ExtractResult, WriteResult } from '@bulk-export/domain';
import { Logger, Metrics } from '@bulk-export/observability';
import { RunTasksRepository, TaskContext, TaskHolder } from '@bulk-export/persistence';
import { RunLifecycle } from './run-lifecycle';

/** A task's command as the workers take it. */
export type TaskCommand = Pick<RunTaskCommand, 'runId' | 'attempt' | 'taskId' | 'kind' | 'taskAttempt'>;

/**
 * The skeleton every task of a worker goes through, written once: claim the task's try (a
 * stale command is ignored), a logger that names the task, a timer, and a failure that
 * fails the try (retried with backoff). Each use case writes only its work.
 */
@Injectable()
export class TaskSteps {
  /** This process, as a task records who took it. */
  readonly worker = `${process.env.HOSTNAME ?? hostname()}:${process.pid}`;

  constructor(
    private readonly tasks: RunTasksRepository,
    private readonly lifecycle: RunLifecycle,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  async run(
    command: TaskCommand,
    work: (ctx: TaskContext, holder: TaskHolder, log: Logger) => Promise<void>,
  ): Promise<void> {
    const ctx = await this.lifecycle.claimTask(command, (max) =>
      this.tasks.start(command.taskId, command.taskAttempt, this.worker, max),
    );
    if (!ctx) {
      this.logger.debug('stale or finished task; command ignored', { ...command });
      return;
    }
    const holder: TaskHolder = { taskAttempt: ctx.task.taskAttempt, claim: ctx.task.claim as string };
    const log = this.logger.child({
      exportId: ctx.exportRow.id,
      runId: ctx.run.id,
      attempt: ctx.run.attempt,
      task: `${ctx.task.kind}-${ctx.task.seq}`,
      taskAttempt: holder.taskAttempt,
    });
    const timer = this.metrics.stageDuration.startTimer({ stage: ctx.task.kind });
    try {
      await work(ctx, holder, log);
      timer();
    } catch (e) {
      log.error('task failed', { error: e });
      await this.lifecycle.failTask(ctx.task, holder, e);
    }
  }

  /** Records what the task did; the phase's last task creates the next phase's tasks and their commands. */
  async complete(ctx: TaskContext, holder: TaskHolder, result: ExtractResult | WriteResult): Promise<boolean> {
    const done = await this.tasks.complete(ctx.task.id, holder, result, (t) => this.lifecycle.taskCommands(t));
    return done;
  }

  /** A task command given up as poison: its try fails with the reason (and is retried). */
  giveUp(command: TaskCommand, reason: string): Promise<void> {
    return this.lifecycle.failTask(
      { id: command.taskId, runId: command.runId, attempt: command.attempt, kind: command.kind, seq: -1 },
      { taskAttempt: command.taskAttempt },
      reason,
    );
  }
}
