import { Inject, Injectable } from '@nestjs/common';
import { exportStatusEvent, planRunCommand, Topics } from '@bulk-export/contracts';
import { Conflict, NotFound } from '@bulk-export/domain';
import { TOPICS } from '@bulk-export/messaging';
import { ExportRun, ExportsRepository, RunsRepository } from '@bulk-export/persistence';

export interface RetryRun {
  accountId: string;
  exportId: string;
  runId: string;
}

/** Tries a failed run again now, by hand, with a new attempt. */
@Injectable()
export class RetryRunUseCase {
  constructor(
    private readonly exports: ExportsRepository,
    private readonly runs: RunsRepository,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async execute(command: RetryRun): Promise<ExportRun> {
    const exportRow = await this.exports.findForAccount(command.accountId, command.exportId);
    if (!exportRow) throw new NotFound('export', command.exportId);
    if (exportRow.status === 'stopped') throw stoppedExport(exportRow.id);
    const run = await this.runs.retryFailed(exportRow.id, command.runId, ({ run }) => [
      planRunCommand(run, this.topics),
      exportStatusEvent(
        { exportId: run.exportId, accountId: exportRow.accountId, runId: run.id, status: 'pending' },
        new Date(),
        this.topics,
      ),
    ]);
    if (!run) {
      const exists = (await this.exports.runsOf([exportRow.id])).some((r) => r.id === command.runId);
      if (!exists) throw new NotFound('run', command.runId);
      if ((await this.exports.findForAccount(command.accountId, exportRow.id))?.status === 'stopped')
        throw stoppedExport(exportRow.id);
      throw new Conflict('only a failed run can be retried');
    }
    return run;
  }
}

function stoppedExport(exportId: string): Conflict {
  return new Conflict(
    `export ${exportId} was stopped, so its runs are not retried; create a new export to export this window again`,
  );
}
