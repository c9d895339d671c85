import { Conflict, NotFound } from '@bulk-export/domain';
import { AccountFixture, TestWorld } from '@bulk-export/testing';
import { RetryRunUseCase } from '../../apps/request-api/src/exports/retry-run.use-case';

/** RetryRunUseCase in-process against Postgres: a failed run gets a new attempt and its command, nothing else does. */
describe('RetryRunUseCase', () => {
  let world: TestWorld;
  let useCase: RetryRunUseCase;
  let owner: AccountFixture;
  let credentialId: string;

  beforeAll(async () => {
    world = await TestWorld.open();
    useCase = new RetryRunUseCase(world.exports, world.runs, world.topics);
    owner = await world.account();
    credentialId = (await world.credential(owner.account.id)).credential.id;
  });

  afterAll(async () => {
    await world?.close();
  });

  it('puts a failed run of a failed one-time export up for a new attempt, both pending, with its window command and its pending event', async () => {
    const exportRow = await world.export(owner.account.id, credentialId, { status: 'failed', error: 'bucket gone' });
    const run = await world.run(exportRow, { status: 'failed', attempt: 5, error: 'bucket gone' });
    const mark = await world.outboxMark();

    const retried = await useCase.execute({ accountId: owner.account.id, exportId: exportRow.id, runId: run.id });

    expect(retried).toMatchObject({ id: run.id, status: 'pending', attempt: 6 });
    expect(await world.runRow(run.id)).toMatchObject({
      status: 'pending',
      attempt: 6,
      nextAttemptAt: null,
      finishedAt: null,
      claim: null,
    });
    expect(await world.exportRow(exportRow.id)).toMatchObject({ status: 'pending', error: null });
    const messages = await world.outboxSince(mark);
    expect(messages.map((m) => ({ topic: m.topic, key: m.key, payload: m.payload }))).toEqual([
      {
        topic: world.topics.planRuns,
        key: exportRow.id,
        payload: { version: 1, runId: run.id, exportId: exportRow.id, attempt: 6 },
      },
      {
        topic: world.topics.exportEvents,
        key: exportRow.id,
        payload: {
          version: 1,
          type: 'export-status',
          exportId: exportRow.id,
          accountId: owner.account.id,
          runId: run.id,
          status: 'pending',
          at: expect.any(String),
        },
      },
    ]);
  });

  it('refuses a run that has not failed (409) and an unknown run (404), appending nothing', async () => {
    const exportRow = await world.export(owner.account.id, credentialId, { frequency: 'recurring' });
    const mark = await world.outboxMark();
    for (const status of ['done', 'running', 'pending', 'cancelled'] as const) {
      const run = await world.run(exportRow, { status, windowStart: new Date(Date.now() - Math.random() * 1e9) });
      await expect(
        useCase.execute({ accountId: owner.account.id, exportId: exportRow.id, runId: run.id }),
      ).rejects.toThrow(new Conflict('only a failed run can be retried'));
      expect((await world.runRow(run.id)).status).toBe(status);
    }
    await expect(
      useCase.execute({ accountId: owner.account.id, exportId: exportRow.id, runId: '01JUNKNOWNRUN000000000000' }),
    ).rejects.toThrow(NotFound);
    expect(await world.outboxSince(mark)).toEqual([]);
  });

  it('refuses the failed run of a stopped export (409)', async () => {
    const exportRow = await world.export(owner.account.id, credentialId, {
      frequency: 'recurring',
      status: 'stopped',
      stoppedAt: new Date(),
    });
    const run = await world.run(exportRow, { status: 'failed' });
    await expect(
      useCase.execute({ accountId: owner.account.id, exportId: exportRow.id, runId: run.id }),
    ).rejects.toThrow(/was stopped, so its runs are not retried/);
    expect(await world.runRow(run.id)).toMatchObject({ status: 'failed', attempt: 1 });
  });

  it("answers 404 for another account's export, and for a run of another export", async () => {
    const stranger = await world.account();
    const theirs = await world.export(stranger.account.id, (await world.credential(stranger.account.id)).credential.id);
    const theirRun = await world.run(theirs, { status: 'failed' });
    await expect(
      useCase.execute({ accountId: owner.account.id, exportId: theirs.id, runId: theirRun.id }),
    ).rejects.toThrow(NotFound);
    const mine = await world.export(owner.account.id, credentialId);
    await expect(
      useCase.execute({ accountId: owner.account.id, exportId: mine.id, runId: theirRun.id }),
    ).rejects.toThrow(NotFound);
    expect((await world.runRow(theirRun.id)).status).toBe('failed');
  });
});
