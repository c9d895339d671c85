import { Inject, Injectable } from '@nestjs/common';
import { exportStatusEvent, planRunCommand, runTaskCommand, Topics } from '@bulk-export/contracts';
import { dueWindows } from '@bulk-export/domain';
import { TOPICS } from '@bulk-export/messaging';
import {
  DueRunsRepository,
  Export,
  ExportRun,
  OutboxEntry,
  RunsRepository,
  RunTask,
  RunTasksRepository,
} from '@bulk-export/persistence';

export interface EmitDueWindows {
  now: Date;
  graceMs: number;
  /** Milliseconds in one hour of a recurring interval (3600000 but in tests). */
  hourMs: number;
  /** At most this many new runs per call, so a long backlog goes out in bounded steps. */
  limit: number;
}

/**
 * Creates one run for each window that is due — a one-time export's window, the next
 * window of each recurring export — and publishes its plan command (PlanRunCommand) in the same
 * transaction; also re-emits runs and tasks whose retry time has come. Returns what it emitted.
 */
@Injectable()
export class EmitDueWindowsUseCase {
  constructor(
    private readonly dueRuns: DueRunsRepository,
    private readonly runs: RunsRepository,
    private readonly tasks: RunTasksRepository,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async execute(
    command: EmitDueWindows,
  ): Promise<{ created: ExportRun[]; retried: ExportRun[]; retriedTasks: RunTask[] }> {
    const dueBefore = new Date(command.now.getTime() - command.graceMs);
    const messages = ({ run, exportRow }: { run: ExportRun; exportRow: Export }): OutboxEntry[] => [
      planRunCommand(run, this.topics),
      exportStatusEvent(
        { exportId: run.exportId, accountId: exportRow.accountId, runId: run.id, status: 'pending' },
        command.now,
        this.topics,
      ),
    ];
    const created = await this.dueRuns.createDueOneTimeRuns(dueBefore, command.limit, messages);
    const recurring = await this.dueRuns.createDueRecurringRuns(
      dueBefore,
      command.hourMs,
      command.limit,
      (exportRow, lastEnd) =>
        dueWindows(
          exportRow.windowFrom.getTime(),
          lastEnd?.getTime() ?? null,
          (exportRow.intervalHours as number) * command.hourMs,
          command.now.getTime(),
          command.graceMs,
          1,
        ),
      messages,
    );
    created.push(...recurring);
    const retried = await this.runs.emitDueRetries(command.now, command.limit, ({ run }) => [
      planRunCommand(run, this.topics),
    ]);
    // A task tried again goes round by its place: its phase's others are under way.
    const retriedTasks = await this.tasks.emitDueRetries(command.now, command.limit, (tasks) =>
      tasks.map((t) => runTaskCommand(t, t.seq, this.topics)),
    );
    return { created, retried, retriedTasks };
  }
}
