import type { ExportStatus, RunStatus } from './export-options';
import type { TaskKind } from './run-tasks';

/**
 * The rules of a run's lifecycle, as pure functions: what each transition changes on the run
 * and on its export. The runs repository locks, loads, applies them, writes and appends
 * the outbox messages (see RunsRepository).
 */

/** The fields of a run that its transitions change. */
export interface RunChange {
  status?: RunStatus;
  attempt?: number;
  error?: string | null;
  nextAttemptAt?: Date | null;
  startedAt?: Date | null;
  finishedAt?: Date | null;
  claim?: string | null;
  phase?: TaskKind | null;
  takeovers?: number;
}

/** A new attempt holds nothing yet: no claim, no phase, no takeovers. */
const RELEASED = { claim: null, phase: null, takeovers: 0 } as const;

/** A worker claims the run's attempt (`claim`, a new id): `takeovers` counted by takeoversOnClaim. */
export function claimed(claim: string, takeovers: number, now: Date): RunChange {
  return { status: 'running', error: null, startedAt: now, claim, takeovers };
}

/**
 * A failed attempt: with `retryAt`, the run waits as `pending` for its next attempt; without,
 * or when its export was stopped while it ran, it ends `failed` with the reason.
 */
export function failed(attempt: number, error: string, retryAt: Date | null, exportStopped: boolean, now: Date): RunChange {
  return retryAt && !exportStopped
    ? { status: 'pending', attempt: attempt + 1, nextAttemptAt: retryAt, error, ...RELEASED }
    : { status: 'failed', error: retryAt ? `${error} (not retried: the export was stopped)` : error, finishedAt: now, nextAttemptAt: null, ...RELEASED };
}

/** A failed run put up for another attempt by hand, now. */
export function retriedByHand(attempt: number): RunChange {
  return { status: 'pending', attempt: attempt + 1, nextAttemptAt: null, finishedAt: null, ...RELEASED };
}

/** What happened to a run, as far as its export's status goes. */
export type RunEvent = 'started' | 'retried by hand' | 'done' | 'failed for good';

/**
 * A one-time export's status follows its one run: `running` once it starts, `pending` again
 * when retried by hand, `done`, or `failed` with the run's reason. A recurring export's does
 * not (null: unchanged).
 */
export function oneTimeExportAfter(
  exportRow: { frequency: string; status: ExportStatus },
  event: RunEvent,
  error: string | null = null,
): { status: ExportStatus; error: string | null } | null {
  if (exportRow.frequency !== 'one_time') return null;
  switch (event) {
    case 'started':
      return exportRow.status === 'pending' ? { status: 'running', error: null } : null;
    case 'retried by hand':
      return { status: 'pending', error: null };
    case 'done':
      return { status: 'done', error: null };
    case 'failed for good':
      return { status: 'failed', error };
  }
}
