import { Inject, Injectable } from '@nestjs/common';
import { ExportEvent, ExtractWindow, Topics } from '@bulk-export/contracts';
import { TOPICS } from '@bulk-export/messaging';
import { ExportRun, OutboxEntry, RunsRepository } from '@bulk-export/persistence';

export interface EmitDueWindows {
  now: Date;
  graceMs: number;
  /** At most this many new runs per call, so a long backlog goes out in bounded steps. */
  limit: number;
}

/**
 * Creates one run for each window that is due and publishes its extract command in the
 * same transaction; also re-emits runs whose retry time has come. Returns what it emitted.
 */
@Injectable()
export class EmitDueWindowsUseCase {
  constructor(
    private readonly runs: RunsRepository,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async execute(command: EmitDueWindows): Promise<{ created: ExportRun[]; retried: ExportRun[] }> {
    const dueBefore = new Date(command.now.getTime() - command.graceMs);
    const created = await this.runs.createDueOneTimeRuns(dueBefore, command.limit, ({ run, exportRow }) => [
      this.extract(run),
      this.event({ version: 1, exportId: run.exportId, accountId: exportRow.accountId, runId: run.id, status: 'pending', at: command.now.toISOString() }),
    ]);
    const retried = await this.runs.emitDueRetries(command.now, command.limit, ({ run }) => [this.extract(run)]);
    return { created, retried };
  }

  private extract(run: ExportRun): OutboxEntry {
    const message: ExtractWindow = { version: 1, runId: run.id, exportId: run.exportId, attempt: run.attempt };
    return { topic: this.topics.windowCommands, key: run.exportId, payload: message };
  }

  private event(event: ExportEvent): OutboxEntry {
    return { topic: this.topics.exportEvents, key: event.exportId, payload: event };
  }
}
