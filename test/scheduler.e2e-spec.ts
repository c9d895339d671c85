import { api, TestAccount, TestSystem, waitFor } from '@bulk-export/testing';
import { createExport, saveCredentials } from './support/exports';

/**
 * The scheduler and request-api without workers, so that emitted runs stay `pending`: every
 * export whose window is due gets it, however many exports not due come before it (one
 * batch is 50); stopping an export ends its runs that have not started.
 */
describe('scheduler: due windows and stopped exports', () => {
  let system: TestSystem;
  let account: TestAccount;
  let credentialId: string;
  const hour = 3_600_000;

  beforeAll(async () => {
    system = await TestSystem.start({}, ['request-api', 'scheduler']);
    account = await system.createAccount();
    ({ credentialId } = await saveCredentials(system, account));
  });

  afterAll(async () => {
    await system?.stop();
  });

  interface RunRow {
    id: string;
    window_start: Date;
    status: string;
    error: string | null;
    next_attempt_at: Date | null;
    finished_at: Date | null;
  }
  const runsOf = async (exportId: string): Promise<RunRow[]> =>
    system.db.query(
      'SELECT id, window_start, status, error, next_attempt_at, finished_at FROM export_runs WHERE export_id = $1 ORDER BY window_start',
      [exportId],
    );
  const runsAtLeast = (exportId: string, n: number) =>
    waitFor(
      `${n} runs of ${exportId}`,
      async () => {
        const rows = await runsOf(exportId);
        return rows.length >= n ? rows : undefined;
      },
      { timeoutMs: 20_000 },
    );

  it('emits the due windows of exports that come after more than a batch of exports not due yet', async () => {
    const recurring = { credentialId, type: 'all_events', frequency: 'recurring', format: 'json' };
    // Created first, so their ids sort first: 52 exports whose first window closes in 24 h.
    const notDue: string[] = [];
    for (let i = 0; i < 52; i++) notDue.push(await createExport(system, account, { ...recurring, intervalHours: 24 }));
    const startAt = Date.now() - 5 * hour;
    const due: string[] = [];
    for (let i = 0; i < 2; i++)
      due.push(
        await createExport(system, account, {
          ...recurring,
          intervalHours: 4,
          startAt: new Date(startAt).toISOString(),
        }),
      );
    expect(due.every((id) => notDue.every((other) => other < id))).toBe(true);

    for (const id of due) {
      const runs = await waitFor(
        `the first window of ${id}`,
        async () => {
          const rows = await runsOf(id);
          return rows.length > 0 ? rows : undefined;
        },
        { timeoutMs: 20_000 },
      );
      expect(runs.map((r) => r.window_start.getTime())).toEqual([startAt]);
    }
    const notDueRuns = await system.db.query('SELECT export_id FROM export_runs WHERE export_id = ANY($1)', [notDue]);
    expect(notDueRuns).toEqual([]);
  });

  it('ends the runs that have not started, emitted or waiting for a retry, as cancelled when the export is stopped', async () => {
    const id = await createExport(system, account, {
      credentialId,
      type: 'all_events',
      frequency: 'recurring',
      intervalHours: 4,
      startAt: new Date(Date.now() - 9 * hour).toISOString(),
      format: 'json',
    });
    const [first] = await runsAtLeast(id, 1);
    // As if its first attempt had failed: it waits for a retry, and the next window is emitted meanwhile.
    await system.db.query(
      `UPDATE export_runs SET attempt = 2, error = 'bucket unreachable', next_attempt_at = now() + interval '1 hour' WHERE id = $1`,
      [first.id],
    );
    const runs = await runsAtLeast(id, 2);
    expect(runs.map((r) => r.status)).toEqual(['pending', 'pending']);

    const stopped = await api<{ status: string }>(system.api, 'POST', `/v1/exports/${id}/stop`, {
      apiKey: account.apiKey,
    });
    expect(stopped.status).toBe(200);
    const after = await runsOf(id);
    expect(
      after.map((r) => ({
        status: r.status,
        error: r.error,
        retry: r.next_attempt_at,
        finished: r.finished_at !== null,
      })),
    ).toEqual([
      { status: 'cancelled', error: 'the export was stopped before this run started', retry: null, finished: true },
      { status: 'cancelled', error: 'the export was stopped before this run started', retry: null, finished: true },
    ]);
    const shown = await api<{ runs: { status: string }[] }>(system.api, 'GET', `/v1/exports/${id}`, {
      apiKey: account.apiKey,
    });
    expect(shown.body.runs.map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
  });

  it('answers 409 naming why to a retry of a failed run once its export is stopped', async () => {
    const id = await createExport(system, account, {
      credentialId,
      type: 'all_events',
      frequency: 'recurring',
      intervalHours: 4,
      startAt: new Date(Date.now() - 5 * hour).toISOString(),
      format: 'json',
    });
    const [run] = await runsAtLeast(id, 1);
    // As if all its attempts had failed.
    await system.db.query(
      `UPDATE export_runs SET status = 'failed', error = 'bucket unreachable', finished_at = now() WHERE id = $1`,
      [run.id],
    );
    expect((await api(system.api, 'POST', `/v1/exports/${id}/stop`, { apiKey: account.apiKey })).status).toBe(200);

    const retried = await api<{ code: string; message: string }>(
      system.api,
      'POST',
      `/v1/exports/${id}/runs/${run.id}/retry`,
      { apiKey: account.apiKey },
    );
    expect({ status: retried.status, code: retried.body.code }).toEqual({ status: 409, code: 'conflict' });
    expect(retried.body.message).toContain('was stopped');
    expect((await runsOf(id)).map((r) => r.status)).toEqual(['failed']);
  });
});
