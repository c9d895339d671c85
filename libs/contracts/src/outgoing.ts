import type { ExportStatus, RunStatus } from '@bulk-export/domain';
import { ExportEvent, PlanRunCommand } from './messages';
import { Topics } from './topics';

/** A message of ours on its way to its topic, with its key: what the outbox stores. */
export interface Outgoing<T extends object> {
  topic: string;
  key: string;
  payload: T;
}

/** A status change of export `exportId`, or of its run `runId` when it names one. */
export interface StatusChange {
  exportId: string;
  accountId: string;
  runId?: string;
  status: ExportStatus | RunStatus;
  error?: string | null;
  warning?: string | null;
}

/** The ExportEvent of a status change, keyed by its export so an export's events stay in order. */
export function exportStatusEvent(
  change: StatusChange,
  at: Date,
  topics: Pick<Topics, 'exportEvents'>,
): Outgoing<ExportEvent> {
  const { exportId, accountId, runId, status, error, warning } = change;
  const payload: ExportEvent = {
    version: 1,
    type: 'export-status',
    exportId,
    accountId,
    ...(runId ? { runId } : {}),
    status,
    ...(error ? { error } : {}),
    ...(warning ? { warning } : {}),
    at: at.toISOString(),
  };
  return { topic: topics.exportEvents, key: exportId, payload };
}

/** The command that has the extractors plan attempt `attempt` of run `id`, keyed by its export. */
export function planRunCommand(
  run: { id: string; exportId: string; attempt: number },
  topics: Pick<Topics, 'planRuns'>,
): Outgoing<PlanRunCommand> {
  return {
    topic: topics.planRuns,
    key: run.exportId,
    payload: { version: 1, runId: run.id, exportId: run.exportId, attempt: run.attempt },
  };
}
