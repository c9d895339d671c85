import { newId } from '@bulk-export/domain';
import { OutboxRepository, RunsRepository, TakenOverTooOften } from '@bulk-export/persistence';
import { api, gcs, makeServiceKey, TestSystem } from '@bulk-export/testing';
import { createExport } from './support/exports';

/**
 * A consumer that loses its partition in a rebalance may work on: the command goes to
 * another worker, which claims the run again. Only the worker holding the run's claim can
 * stage it, complete it, fail it or report its progress; the one that lost it is refused.
 * Against the real Postgres, with no worker running (the test plays both workers).
 */
describe('run claims', () => {
  let system: TestSystem;
  let runs: RunsRepository;

  beforeAll(async () => {
    system = await TestSystem.start({}, ['request-api']);
    runs = new RunsRepository(system.db, new OutboxRepository(system.db));
  });

  afterAll(async () => {
    await system?.stop();
  });

  async function newRun(): Promise<string> {
    const account = await system.createAccount();
    const bucket = await gcs.createBucket();
    const saved = await api<{ id: string }>(system.api, 'POST', '/v1/credentials/gcp', { apiKey: account.apiKey, body: { serviceKey: makeServiceKey(), bucket } });
    const to = Date.now() - 1000;
    const exportId = await createExport(system, account, { credentialId: saved.body.id, type: 'all_events', from: new Date(to - 60_000).toISOString(), to: new Date(to).toISOString(), format: 'json' });
    const runId = newId();
    // No scheduler runs here: the run is made as the scheduler would make it.
    await system.db.query(`INSERT INTO export_runs (id, export_id, window_start, window_end, status, attempt) VALUES ($1, $2, $3, $4, 'pending', 1)`, [runId, exportId, new Date(to - 60_000), new Date(to)]);
    return runId;
  }
  const row = async (runId: string) => (await system.db.query(`SELECT status, attempt, rows_extracted, claim, staged_claim FROM export_runs WHERE id = $1`, [runId]))[0];
  const staged = { rowsExtracted: 10, rowsRejected: 0, offsets: { '0': { start: '0', end: '10' } }, warning: null };

  it('refuses the writes of an extraction whose claim was taken over, and ignores its command once staged', async () => {
    const runId = await newRun();
    const first = await runs.startExtraction(runId, 1, () => []);
    const second = await runs.startExtraction(runId, 1, () => []);
    expect(first?.run.claim).toBeTruthy();
    expect(second?.run.claim).toBeTruthy();
    expect(second?.run.claim).not.toBe(first?.run.claim);
    const lost = { attempt: 1, claim: first!.run.claim! };
    const holder = { attempt: 1, claim: second!.run.claim! };

    await runs.reportProgress(runId, lost, { rowsExtracted: 99 });
    expect(await runs.markStaged(runId, lost, staged, [])).toBe(false);
    expect(await runs.fail(runId, lost, 'lost worker failed', new Date(), () => [])).toBe(false);
    expect(await row(runId)).toMatchObject({ status: 'running', attempt: 1, rows_extracted: '0', staged_claim: null });

    expect(await runs.markStaged(runId, holder, staged, [])).toBe(true);
    expect(await row(runId)).toMatchObject({ status: 'running', attempt: 1, rows_extracted: '10', staged_claim: holder.claim });
    // A command of the staged attempt delivered once more changes nothing.
    expect(await runs.startExtraction(runId, 1, () => [])).toBeNull();
  });

  it('lets only the uploader holding the claim complete the run', async () => {
    const runId = await newRun();
    expect(await runs.startUpload(runId, 1)).toBeNull(); // not staged yet
    const extraction = await runs.startExtraction(runId, 1, () => []);
    expect(await runs.markStaged(runId, { attempt: 1, claim: extraction!.run.claim! }, staged, [])).toBe(true);
    const first = await runs.startUpload(runId, 1);
    const second = await runs.startUpload(runId, 1);
    expect(first?.run.stagedClaim).toBe(extraction!.run.claim);
    const lost = { attempt: 1, claim: first!.run.claim! };
    const holder = { attempt: 1, claim: second!.run.claim! };
    expect(await runs.complete(runId, lost, [], () => [])).toBe(false);
    expect(await runs.fail(runId, lost, 'lost uploader failed', new Date(), () => [])).toBe(false);
    expect(await row(runId)).toMatchObject({ status: 'running', attempt: 1 });
    expect(await runs.complete(runId, holder, [], () => [])).toBe(true);
    expect(await row(runId)).toMatchObject({ status: 'done' });
    expect(await runs.startUpload(runId, 1)).toBeNull();
  });

  it('starts the next attempt with no claim, after a failure of the worker holding the run', async () => {
    const runId = await newRun();
    const extraction = await runs.startExtraction(runId, 1, () => []);
    const holder = { attempt: 1, claim: extraction!.run.claim! };
    expect(await runs.markStaged(runId, holder, staged, [])).toBe(true);
    const upload = await runs.startUpload(runId, 1);
    expect(await runs.fail(runId, { attempt: 1, claim: upload!.run.claim! }, 'bucket gone', new Date(Date.now() - 1), () => [])).toBe(true);
    expect(await row(runId)).toMatchObject({ status: 'pending', attempt: 2, claim: null, staged_claim: null });
  });

  it('fails the attempt of a command given up whoever holds it, and no other attempt', async () => {
    const runId = await newRun();
    const extraction = await runs.startExtraction(runId, 1, () => []);
    expect(await runs.markStaged(runId, { attempt: 1, claim: extraction!.run.claim! }, staged, [])).toBe(true);
    await runs.startUpload(runId, 1);
    // No claim: the uploader's command was given up, so nobody holds the attempt for real.
    expect(await runs.fail(runId, { attempt: 1 }, 'given up', new Date(Date.now() + 60_000), () => [])).toBe(true);
    expect(await row(runId)).toMatchObject({ status: 'pending', attempt: 2, claim: null, staged_claim: null });
    // The same command given up again (attempt 1 is over) changes nothing.
    expect(await runs.fail(runId, { attempt: 1 }, 'given up', new Date(), () => [])).toBe(false);
    expect(await row(runId)).toMatchObject({ status: 'pending', attempt: 2 });
  });

  it('counts the takeovers of an attempt and refuses one past the limit, changing nothing; a new attempt starts from none', async () => {
    const runId = await newRun();
    const claimOf = async () => (await row(runId)).claim as string;
    const takeovers = async () => (await system.db.query(`SELECT takeovers FROM export_runs WHERE id = $1`, [runId]))[0].takeovers as number;
    await runs.startExtraction(runId, 1, () => [], 2); // the first worker: no takeover
    await runs.startExtraction(runId, 1, () => [], 2); // it died; the command came again
    await runs.startExtraction(runId, 1, () => [], 2);
    expect(await takeovers()).toBe(2);
    const held = await claimOf();
    await expect(runs.startExtraction(runId, 1, () => [], 2)).rejects.toThrow(TakenOverTooOften);
    await expect(runs.startExtraction(runId, 1, () => [], 2)).rejects.toThrow(/the extractor working on this attempt stopped 3 times before finishing it/);
    expect(await claimOf()).toBe(held);
    expect(await takeovers()).toBe(2);

    // The upload counts afresh: taking the run from the extraction is no takeover, an uploader's redelivered command is.
    expect(await runs.markStaged(runId, { attempt: 1, claim: held }, staged, [])).toBe(true);
    expect(await takeovers()).toBe(0);
    await runs.startUpload(runId, 1, 1);
    expect(await takeovers()).toBe(0);
    await runs.startUpload(runId, 1, 1);
    expect(await takeovers()).toBe(1);
    await expect(runs.startUpload(runId, 1, 1)).rejects.toThrow(/the uploader working on this attempt stopped 2 times/);

    expect(await runs.fail(runId, { attempt: 1 }, 'taken over too often', new Date(Date.now() - 1), () => [])).toBe(true);
    expect(await takeovers()).toBe(0);
    expect(await row(runId)).toMatchObject({ status: 'pending', attempt: 2, claim: null });
  });
});
