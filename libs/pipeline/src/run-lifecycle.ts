import { Inject, Injectable } from '@nestjs/common';
import { exportStatusEvent, runTaskCommand, RunTaskCommand, Topics } from '@bulk-export/contracts';
import { AppConfig } from '@bulk-export/config';
import { describeError, nextAttemptAt, spreadOf, TakenOverTooOften } from '@bulk-export/domain';
import { TOPICS } from '@bulk-export/messaging';
import { Logger, Metrics } from '@bulk-export/observability';
import {
  OutboxEntry,
  RunContext,
  RunHolder,
  RunsRepository,
  RunTask,
  RunTasksRepository,
  TaskHolder,
} from '@bulk-export/persistence';
import { StagingStore } from './staging-store';

/**
 * What the extractor and the uploader share about a run's lifecycle: the status events
 * they publish, and the one place that decides whether a failed attempt is retried.
 */
@Injectable()
export class RunLifecycle {
  constructor(
    private readonly runs: RunsRepository,
    private readonly tasks: RunTasksRepository,
    private readonly config: AppConfig,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly staging: StagingStore,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  /** ExportEvents for the run's status and, for a one-time export or a paused one, the export's. */
  statusEvents(ctx: RunContext & { paused?: boolean }): OutboxEntry[] {
    const at = new Date();
    const { run, exportRow } = ctx;
    const of = { exportId: exportRow.id, accountId: ctx.account.id };
    const events = [
      exportStatusEvent(
        { ...of, runId: run.id, status: run.status, error: run.error, warning: run.warning },
        at,
        this.topics,
      ),
    ];
    if (exportRow.frequency === 'one_time' || ctx.paused)
      events.push(exportStatusEvent({ ...of, status: exportRow.status, error: exportRow.error }, at, this.topics));
    return events;
  }

  /** The commands of new tasks (runTaskCommand). */
  taskCommands(tasks: RunTask[]): OutboxEntry[] {
    const spread = spreadOf(tasks, this.config.INTERNAL_TOPIC_PARTITIONS);
    return tasks.map((t, i) => runTaskCommand(t, spread[i], this.topics));
  }

  /**
   * Records a failed try of a task: retried later with backoff (RUN_MAX_ATTEMPTS tries, as
   * runs), or, after its last try, the run's attempt fails with the reason (failAttempt) and
   * the whole run is retried. Ignored if the worker no longer holds the task.
   */
  async failTask(
    task: Pick<RunTask, 'id' | 'runId' | 'attempt' | 'kind' | 'seq'>,
    holder: TaskHolder | Pick<TaskHolder, 'taskAttempt'>,
    error: unknown,
  ): Promise<void> {
    const reason = describeError(error);
    const retryAt = nextAttemptAt(
      holder.taskAttempt,
      this.config.RUN_MAX_ATTEMPTS,
      this.config.RUN_RETRY_BASE_MS,
      Date.now(),
    );
    const { outcome } = await this.tasks.fail(task.id, holder, reason, retryAt);
    this.logger[outcome === 'stale' ? 'debug' : 'warn']('task try failed', {
      runId: task.runId,
      task: `${task.kind}-${task.seq}`,
      taskAttempt: holder.taskAttempt,
      reason,
      outcome,
    });
    if (outcome === 'final')
      await this.failAttempt(
        task.runId,
        { attempt: task.attempt },
        reason,
        task.kind === 'extract' ? 'extract' : 'upload',
      );
  }

  /**
   * Claims a task's try with `take` (RunTasksRepository.start, given the takeover limit). A
   * task taken over too often fails its try instead and this returns null.
   */
  async claimTask(
    command: Pick<RunTaskCommand, 'runId' | 'attempt' | 'taskId' | 'kind' | 'taskAttempt'>,
    take: (maxTakeovers: number) => Promise<(RunContext & { task: RunTask }) | null>,
  ): Promise<(RunContext & { task: RunTask }) | null> {
    try {
      return await take(this.config.RUN_MAX_TAKEOVERS);
    } catch (e) {
      if (!(e instanceof TakenOverTooOften)) throw e;
      this.logger.error('task taken over too often; its try fails', { ...command, takeovers: e.takeovers });
      await this.failTask(
        { id: command.taskId, runId: command.runId, attempt: command.attempt, kind: command.kind, seq: -1 },
        { taskAttempt: command.taskAttempt },
        e.message,
      );
      return null;
    }
  }

  /**
   * Records a failed attempt of the worker holding the run: retried later with backoff, or
   * failed for good after the last attempt. Ignored if the worker no longer holds the run.
   */
  async failAttempt(
    runId: string,
    holder: RunHolder | Pick<RunHolder, 'attempt'>,
    error: unknown,
    stage: 'extract' | 'upload',
  ): Promise<void> {
    const { attempt } = holder;
    const reason = describeError(error);
    const retryAt = nextAttemptAt(attempt, this.config.RUN_MAX_ATTEMPTS, this.config.RUN_RETRY_BASE_MS, Date.now());
    let paused = false;
    const recorded = await this.runs.fail(
      runId,
      holder,
      reason,
      retryAt,
      (ctx) => {
        paused = ctx.paused;
        return this.statusEvents(ctx);
      },
      this.config.AUTO_PAUSE_AFTER_FAILED_RUNS,
    );
    if (paused) {
      this.metrics.exportsPaused.inc();
      this.logger.warn('recurring export paused: its latest runs all failed', { runId });
    }
    // The attempt's staging will not be read again; a run that failed for good would otherwise keep it for ever.
    if (recorded) {
      await this.staging
        .removeAttemptsUpTo(runId, attempt)
        .catch((e: unknown) =>
          this.logger.warn("could not remove a failed attempt's staging", { runId, attempt, error: e }),
        );
    }
    this.metrics.runsFailed.inc({ stage, final: retryAt ? 'false' : 'true' });
    this.logger[recorded ? 'warn' : 'debug']('run attempt failed', {
      runId,
      attempt,
      reason,
      retryAt: retryAt?.toISOString() ?? null,
      recorded,
    });
  }

  /**
   * Claims a command's attempt with `take` (startExtraction or startUpload, given the
   * takeover limit). An attempt taken over too often fails instead (giveUp) and this
   * returns null, like a stale command.
   */
  async claim(
    command: { runId: string; attempt: number },
    stage: 'extract' | 'upload',
    take: (maxTakeovers: number) => Promise<RunContext | null>,
  ): Promise<RunContext | null> {
    try {
      return await take(this.config.RUN_MAX_TAKEOVERS);
    } catch (e) {
      if (!(e instanceof TakenOverTooOften)) throw e;
      this.logger.error('attempt taken over too often; it fails', { ...command, takeovers: e.takeovers });
      await this.giveUp(command, e.message, stage);
      return null;
    }
  }

  /**
   * Fails the attempt of a command that is given up: as poison (it kept failing, see
   * CommandConsumer), or because every worker that took it stopped before finishing it
   * (TakenOverTooOften). Nobody works on the attempt any more and no command will come for
   * it again, so the run would otherwise stay `running` (or loop for ever). The run says
   * why and is retried with backoff like any failed attempt. A command of an attempt that
   * is over changes nothing.
   */
  async giveUp(
    command: { runId: string; attempt: number },
    reason: string,
    stage: 'extract' | 'upload',
  ): Promise<void> {
    await this.failAttempt(command.runId, { attempt: command.attempt }, reason, stage);
  }
}
