import { claimed, failed, oneTimeExportAfter, retriedByHand } from './run-rules';

describe('run rules', () => {
  const now = new Date('2026-12-01T00:00:00Z');
  const later = new Date('2026-12-01T01:00:00Z');

  it('claims an attempt: running, with the claim and the takeovers counted', () => {
    expect(claimed('c1', 2, now)).toEqual({ status: 'running', error: null, startedAt: now, claim: 'c1', takeovers: 2 });
  });

  it('waits for the next attempt after a failure with a retry time, releasing everything held', () => {
    expect(failed(1, 'boom', later, false, now)).toEqual({ status: 'pending', attempt: 2, nextAttemptAt: later, error: 'boom', claim: null, phase: null, takeovers: 0 });
  });

  it('fails for good without a retry time, or when the export was stopped (saying so)', () => {
    expect(failed(3, 'boom', null, false, now)).toMatchObject({ status: 'failed', error: 'boom', finishedAt: now, nextAttemptAt: null, claim: null, phase: null });
    expect(failed(1, 'boom', later, true, now)).toMatchObject({ status: 'failed', error: 'boom (not retried: the export was stopped)' });
  });

  it('puts a failed run up for its next attempt now, by hand', () => {
    expect(retriedByHand(2)).toEqual({ status: 'pending', attempt: 3, nextAttemptAt: null, finishedAt: null, claim: null, phase: null, takeovers: 0 });
  });

  it('moves a one-time export with its run, and leaves a recurring one alone', () => {
    const oneTime = (status: 'pending' | 'running' | 'failed') => ({ frequency: 'one_time', status });
    expect(oneTimeExportAfter(oneTime('pending'), 'started')).toEqual({ status: 'running', error: null });
    expect(oneTimeExportAfter(oneTime('running'), 'started')).toBeNull();
    expect(oneTimeExportAfter(oneTime('failed'), 'retried by hand')).toEqual({ status: 'pending', error: null });
    expect(oneTimeExportAfter(oneTime('running'), 'done')).toEqual({ status: 'done', error: null });
    expect(oneTimeExportAfter(oneTime('running'), 'failed for good', 'why')).toEqual({ status: 'failed', error: 'why' });
    expect(oneTimeExportAfter({ frequency: 'recurring', status: 'pending' }, 'failed for good', 'why')).toBeNull();
  });
});
