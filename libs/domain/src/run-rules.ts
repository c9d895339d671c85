import type { ExportStatus, RunStatus } from './export-options';
import type { PartitionRanges } from './partition-ranges';
import { takeoversOnClaim, TaskKind } from './run-tasks';

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
  offsets?: PartitionRanges;
  warning?: string | null;
  rowsExtracted?: number;
  rowsRejected?: number;
  rowsWritten?: number;
  bytesWritten?: number;
  filesCount?: number;
}

/** The fields of an export that its runs' transitions change. */
export interface ExportChange {
  status: ExportStatus;
  error: string | null;
  pausedAt?: Date;
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
export function failed(
  attempt: number,
  error: string,
  retryAt: Date | null,
  exportStopped: boolean,
  now: Date,
): RunChange {
  return retryAt && !exportStopped
    ? { status: 'pending', attempt: attempt + 1, nextAttemptAt: retryAt, error, ...RELEASED }
    : {
        status: 'failed',
        error: retryAt ? `${error} (not retried: the export was stopped)` : error,
        finishedAt: now,
        nextAttemptAt: null,
        ...RELEASED,
      };
}

/**
 * Whether a command of the run's current attempt may claim it for planning: not while it
 * waits for a retry, not once its tasks are planned (they carry the attempt on), and not a
 * run that had not started when its export was stopped.
 */
export function plannable(
  run: { status: RunStatus; nextAttemptAt: Date | null; phase: TaskKind | null },
  exportStatus: ExportStatus,
): boolean {
  return !run.nextAttemptAt && !run.phase && !(exportStatus === 'stopped' && run.status === 'pending');
}

/**
 * Whether a failed attempt may pause its export (pauseReason decides): a run failed for good of a recurring export
 * still scheduled.
 */
export function mayPause(run: { status: RunStatus }, exportRow: { frequency: string; status: ExportStatus }): boolean {
  return run.status === 'failed' && exportRow.frequency === 'recurring' && exportRow.status === 'pending';
}

/** The attempt's read is planned: the offsets it reads, its warning so far; its extract tasks start. */
export function planned(offsets: PartitionRanges, warning: string | null): RunChange {
  return { offsets, warning, phase: 'extract', rowsExtracted: 0, rowsRejected: 0 };
}

/** The run's last attempt finished with these files: done, holding nothing. */
export function completed(files: readonly { rows: number; bytes: number }[], now: Date): RunChange {
  return {
    status: 'done',
    rowsWritten: files.reduce((n, f) => n + f.rows, 0),
    bytesWritten: files.reduce((n, f) => n + f.bytes, 0),
    filesCount: files.length,
    finishedAt: now,
    error: null,
    claim: null,
    phase: null,
  };
}

/** Why the runs of a stopped export that had not started end `cancelled`. */
export const CANCELLED_BY_STOP = 'the export was stopped before this run started';

/**
 * The attempt was taken over more often than allowed: every worker that took its command
 * stopped before finishing it (a command that crashes its worker, e.g. out of memory).
 * Nothing was changed; the caller ends the attempt (or the task's try).
 */
export class TakenOverTooOften extends Error {
  constructor(
    readonly takeovers: number,
    worker: string,
  ) {
    super(
      `the ${worker} working on this attempt stopped ${takeovers} times before finishing it (it crashed, was killed, for example for using too much memory, or lost its command in a Kafka rebalance while still busy): see the ${worker}'s logs and restarts`,
    );
  }
}

/** The takeovers a claim of `held` counts (takeoversOnClaim); past `maxTakeovers` it throws TakenOverTooOften. */
export function takeoversWithin(
  held: { status: string; claim: string | null; takeovers: number },
  maxTakeovers: number,
  worker: string,
): number {
  const takeovers = takeoversOnClaim(held);
  if (takeovers > maxTakeovers) throw new TakenOverTooOften(takeovers, worker);
  return takeovers;
}

/** A recurring export paused (pauseReason says why) after its latest runs all failed. */
export function pausedExport(reason: string, now: Date): ExportChange {
  return { status: 'paused', error: reason, pausedAt: now };
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
): ExportChange | null {
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
