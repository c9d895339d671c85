import type { RunStatus } from './export-options';

/** A run of a recurring export, as the pause rule reads it. */
export interface EndedRun {
  status: RunStatus;
  error: string | null;
}

/**
 * Why a recurring export is paused, or null: its last `threshold` ended runs (done or failed
 * for good, newest first in `recent`) all failed. A run still under way or waiting for a retry
 * has not ended and does not count; a cancelled one neither. `threshold` 0 never pauses.
 */
export function pauseReason(recent: readonly EndedRun[], threshold: number): string | null {
  if (threshold <= 0) return null;
  const ended = recent.filter((r) => r.status === 'done' || r.status === 'failed').slice(0, threshold);
  if (ended.length < threshold || ended.some((r) => r.status !== 'failed')) return null;
  const last = ended[0].error ?? 'no reason recorded';
  return `paused after ${threshold} runs in a row failed; the last one failed because: ${last}. Fix the cause, then resume the export (POST /v1/exports/:id/resume): the windows it missed are exported then`;
}
