import { Inject, Injectable } from '@nestjs/common';
import { exportStatusEvent, Topics } from '@bulk-export/contracts';
import { CANCELLED_BY_STOP, Conflict, NotFound } from '@bulk-export/domain';
import { TOPICS } from '@bulk-export/messaging';
import { Export, ExportsRepository } from '@bulk-export/persistence';

export interface StopExport {
  accountId: string;
  exportId: string;
}

/**
 * Stops a recurring export: no window after this; a run under way finishes (without
 * retries); runs not started yet end `cancelled`. Stopping twice is fine.
 */
@Injectable()
export class StopExportUseCase {
  constructor(
    private readonly exports: ExportsRepository,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async execute(command: StopExport): Promise<Export> {
    const stopped = await this.exports.stop(command.accountId, command.exportId, (e, cancelledRunIds) => {
      const at = new Date();
      return [
        exportStatusEvent({ exportId: e.id, accountId: e.accountId, status: 'stopped' }, at, this.topics),
        ...cancelledRunIds.map((runId) =>
          exportStatusEvent(
            { exportId: e.id, accountId: e.accountId, runId, status: 'cancelled', error: CANCELLED_BY_STOP },
            at,
            this.topics,
          ),
        ),
      ];
    });
    if (!stopped) throw new NotFound('export', command.exportId);
    if (stopped.frequency !== 'recurring')
      throw new Conflict('only a recurring export can be stopped; a one-time export ends by itself');
    return stopped;
  }
}
