import { exportStatusEvent, planRunCommand } from './outgoing';
import { topicNames } from './topics';

describe('outgoing messages', () => {
  const topics = topicNames('t.');
  const at = new Date('2026-01-02T03:04:05.000Z');

  it('builds an export-status event keyed by its export, leaving out what it does not name', () => {
    expect(
      exportStatusEvent({ exportId: 'e1', accountId: 'a1', status: 'pending', error: null, warning: null }, at, topics),
    ).toEqual({
      topic: 't.export.events',
      key: 'e1',
      payload: {
        version: 1,
        type: 'export-status',
        exportId: 'e1',
        accountId: 'a1',
        status: 'pending',
        at: '2026-01-02T03:04:05.000Z',
      },
    });
  });

  it("carries a run's id, error and warning when there are", () => {
    const { payload } = exportStatusEvent(
      { exportId: 'e1', accountId: 'a1', runId: 'r1', status: 'done', error: 'no', warning: 'late' },
      at,
      topics,
    );
    expect(payload).toEqual({
      version: 1,
      type: 'export-status',
      exportId: 'e1',
      accountId: 'a1',
      runId: 'r1',
      status: 'done',
      error: 'no',
      warning: 'late',
      at: at.toISOString(),
    });
  });

  it('builds the plan command of a run attempt, keyed by its export', () => {
    expect(planRunCommand({ id: 'r1', exportId: 'e1', attempt: 3 }, topics)).toEqual({
      topic: 't.export.plan-runs',
      key: 'e1',
      payload: { version: 1, runId: 'r1', exportId: 'e1', attempt: 3 },
    });
  });
});
