import { EndedRun, pauseReason } from './auto-pause';

const failed = (error = 'bucket `b` was not found'): EndedRun => ({ status: 'failed', error });
const done: EndedRun = { status: 'done', error: null };

describe('pauseReason', () => {
  it('pauses after the threshold of failed runs in a row, naming the last reason', () => {
    expect(pauseReason([failed('third'), failed('second'), failed('first')], 3)).toMatch(
      /^paused after 3 runs in a row failed; the last one failed because: third\./,
    );
  });
  it('does not pause while a run in the streak succeeded, or fewer runs have ended', () => {
    expect(pauseReason([failed(), done, failed(), failed()], 3)).toBeNull();
    expect(pauseReason([failed(), failed()], 3)).toBeNull();
    expect(pauseReason([], 3)).toBeNull();
  });
  it('skips runs that have not ended, and cancelled ones', () => {
    const waiting: EndedRun = { status: 'pending', error: 'retrying' };
    const cancelled: EndedRun = { status: 'cancelled', error: 'stopped' };
    expect(
      pauseReason([waiting, failed(), cancelled, failed(), { status: 'running', error: null }, failed()], 3),
    ).not.toBeNull();
    expect(pauseReason([failed(), failed(), done, failed()], 2)).not.toBeNull();
  });
  it('never pauses with a threshold of 0', () => {
    expect(pauseReason([failed(), failed(), failed()], 0)).toBeNull();
  });
});
