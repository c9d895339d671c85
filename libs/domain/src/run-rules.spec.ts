import {
  claimed,
  completed,
  planned,
  failed,
  mayPause,
  oneTimeExportAfter,
  pausedExport,
  plannable,
  retriedByHand,
  TakenOverTooOften,
  takeoversWithin,
} from './run-rules';

describe('run rules', () => {
  const now = new Date('2026-12-01T00:00:00Z');
  const later = new Date('2026-12-01T01:00:00Z');

  it('claims an attempt: running, with the claim and the takeovers counted', () => {
    expect(claimed('c1', 2, now)).toEqual({
      status: 'running',
      error: null,
      startedAt: now,
      claim: 'c1',
      takeovers: 2,
    });
  });

  it('waits for the next attempt after a failure with a retry time, releasing everything held', () => {
    expect(failed(1, 'boom', later, false, now)).toEqual({
      status: 'pending',
      attempt: 2,
      nextAttemptAt: later,
      error: 'boom',
      claim: null,
      phase: null,
      takeovers: 0,
    });
  });

  it('fails for good without a retry time, or when the export was stopped (saying so)', () => {
    expect(failed(3, 'boom', null, false, now)).toMatchObject({
      status: 'failed',
      error: 'boom',
      finishedAt: now,
      nextAttemptAt: null,
      claim: null,
      phase: null,
    });
    expect(failed(1, 'boom', later, true, now)).toMatchObject({
      status: 'failed',
      error: 'boom (not retried: the export was stopped)',
    });
  });

  it('plans an attempt: its offsets and warning, extraction starting from zero rows', () => {
    const offsets = { '0': { start: '5', end: '9' } };
    expect(planned(offsets, null)).toEqual({
      offsets,
      warning: null,
      phase: 'extract',
      rowsExtracted: 0,
      rowsRejected: 0,
    });
  });

  it('completes a run with the sums of its files, holding nothing', () => {
    expect(
      completed(
        [
          { rows: 3, bytes: 30 },
          { rows: 4, bytes: 41 },
        ],
        now,
      ),
    ).toEqual({
      status: 'done',
      rowsWritten: 7,
      bytesWritten: 71,
      filesCount: 2,
      finishedAt: now,
      error: null,
      claim: null,
      phase: null,
    });
    expect(completed([], now)).toMatchObject({ rowsWritten: 0, bytesWritten: 0, filesCount: 0 });
  });

  it('counts a takeover of a held attempt and refuses one past the limit', () => {
    expect(takeoversWithin({ status: 'pending', claim: null, takeovers: 0 }, 1, 'extractor')).toBe(0);
    expect(takeoversWithin({ status: 'running', claim: 'c1', takeovers: 0 }, 1, 'extractor')).toBe(1);
    expect(() => takeoversWithin({ status: 'running', claim: 'c1', takeovers: 1 }, 1, 'uploader')).toThrow(
      TakenOverTooOften,
    );
    expect(() => takeoversWithin({ status: 'running', claim: 'c1', takeovers: 1 }, 1, 'uploader')).toThrow(
      /the uploader working on this attempt stopped 2 times/,
    );
  });

  it('lets a command plan an attempt unless it waits for a retry, is planned, or its export was stopped before it started', () => {
    const run = (status: 'pending' | 'running', nextAttemptAt: Date | null = null, phase: 'extract' | null = null) => ({
      status,
      nextAttemptAt,
      phase,
    });
    expect(plannable(run('pending'), 'pending')).toBe(true);
    expect(plannable(run('running'), 'running')).toBe(true);
    expect(plannable(run('running'), 'stopped')).toBe(true);
    expect(plannable(run('pending'), 'stopped')).toBe(false);
    expect(plannable(run('pending', later), 'pending')).toBe(false);
    expect(plannable(run('running', null, 'extract'), 'running')).toBe(false);
  });

  it('lets only a run failed for good of a scheduled recurring export pause it', () => {
    expect(mayPause({ status: 'failed' }, { frequency: 'recurring', status: 'pending' })).toBe(true);
    expect(mayPause({ status: 'pending' }, { frequency: 'recurring', status: 'pending' })).toBe(false);
    expect(mayPause({ status: 'failed' }, { frequency: 'one_time', status: 'failed' })).toBe(false);
    expect(mayPause({ status: 'failed' }, { frequency: 'recurring', status: 'stopped' })).toBe(false);
  });

  it('pauses an export with the reason', () => {
    expect(pausedExport('three runs failed', now)).toEqual({
      status: 'paused',
      error: 'three runs failed',
      pausedAt: now,
    });
  });

  it('puts a failed run up for its next attempt now, by hand', () => {
    expect(retriedByHand(2)).toEqual({
      status: 'pending',
      attempt: 3,
      nextAttemptAt: null,
      finishedAt: null,
      claim: null,
      phase: null,
      takeovers: 0,
    });
  });

  it('moves a one-time export with its run, and leaves a recurring one alone', () => {
    const oneTime = (status: 'pending' | 'running' | 'failed') => ({ frequency: 'one_time', status });
    expect(oneTimeExportAfter(oneTime('pending'), 'started')).toEqual({ status: 'running', error: null });
    expect(oneTimeExportAfter(oneTime('running'), 'started')).toBeNull();
    expect(oneTimeExportAfter(oneTime('failed'), 'retried by hand')).toEqual({ status: 'pending', error: null });
    expect(oneTimeExportAfter(oneTime('running'), 'done')).toEqual({ status: 'done', error: null });
    expect(oneTimeExportAfter(oneTime('running'), 'failed for good', 'why')).toEqual({
      status: 'failed',
      error: 'why',
    });
    expect(oneTimeExportAfter({ frequency: 'recurring', status: 'pending' }, 'failed for good', 'why')).toBeNull();
  });
});
