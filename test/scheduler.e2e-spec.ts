import { api, gcs, makeServiceKey, TestAccount, TestSystem, waitFor } from '@bulk-export/testing';
import { createExport } from './support/exports';

/**
 * The scheduler with more recurring exports than it takes in one batch (50): every export
 * whose window is due gets it, however many exports that are not due come before it.
 */
describe('scheduler with many recurring exports', () => {
  let system: TestSystem;
  let account: TestAccount;
  let credentialId: string;
  const hour = 3_600_000;

  beforeAll(async () => {
    system = await TestSystem.start({}, ['request-api', 'scheduler']);
    account = await system.createAccount();
    const bucket = await gcs.createBucket();
    const saved = await api<{ id: string }>(system.api, 'POST', '/v1/credentials/gcp', { apiKey: account.apiKey, body: { serviceKey: makeServiceKey(), bucket } });
    credentialId = saved.body.id;
  });

  afterAll(async () => {
    await system?.stop();
  });

  const runsOf = async (exportId: string): Promise<{ window_start: Date }[]> =>
    system.db.query('SELECT window_start FROM export_runs WHERE export_id = $1', [exportId]);

  it('emits the due windows of exports that come after more than a batch of exports not due yet', async () => {
    const recurring = { credentialId, type: 'all_events', frequency: 'recurring', format: 'json' };
    // Created first, so their ids sort first: 52 exports whose first window closes in 24 h.
    const notDue: string[] = [];
    for (let i = 0; i < 52; i++) notDue.push(await createExport(system, account, { ...recurring, intervalHours: 24 }));
    const startAt = Date.now() - 5 * hour;
    const due: string[] = [];
    for (let i = 0; i < 2; i++) due.push(await createExport(system, account, { ...recurring, intervalHours: 4, startAt: new Date(startAt).toISOString() }));
    expect(due.every((id) => notDue.every((other) => other < id))).toBe(true);

    for (const id of due) {
      const runs = await waitFor(`the first window of ${id}`, async () => {
        const rows = await runsOf(id);
        return rows.length > 0 ? rows : undefined;
      }, { timeoutMs: 20_000 });
      expect(runs.map((r) => r.window_start.getTime())).toEqual([startAt]);
    }
    const notDueRuns = await system.db.query('SELECT export_id FROM export_runs WHERE export_id = ANY($1)', [notDue]);
    expect(notDueRuns).toEqual([]);
  });
});
