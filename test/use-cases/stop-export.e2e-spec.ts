import { CANCELLED_BY_STOP, Conflict, NotFound } from '@bulk-export/domain';
import { AccountFixture, TestWorld } from '@bulk-export/testing';
import { StopExportUseCase } from '../../apps/request-api/src/exports/stop-export.use-case';

/**
 * StopExportUseCase in-process against Postgres: runs not started end cancelled, one under way goes on, and the outbox
 * says so.
 */
describe('StopExportUseCase', () => {
  let world: TestWorld;
  let useCase: StopExportUseCase;
  let owner: AccountFixture;
  let credentialId: string;

  beforeAll(async () => {
    world = await TestWorld.open();
    useCase = new StopExportUseCase(world.exports, world.topics);
    owner = await world.account();
    credentialId = (await world.credential(owner.account.id)).credential.id;
  });

  afterAll(async () => {
    await world?.close();
  });

  it('stops a recurring export: runs not started (emitted or waiting for a retry) end cancelled, a running one goes on', async () => {
    const exportRow = await world.export(owner.account.id, credentialId, {
      frequency: 'recurring',
      windowFrom: new Date(Date.now() - 5 * 3_600_000),
    });
    const hour = (n: number) => new Date(exportRow.windowFrom.getTime() + n * 3_600_000);
    const done = await world.run(exportRow, { windowStart: hour(0), windowEnd: hour(1), status: 'done' });
    const retrying = await world.run(exportRow, {
      windowStart: hour(1),
      windowEnd: hour(2),
      status: 'pending',
      attempt: 2,
      nextAttemptAt: new Date(Date.now() + 60_000),
    });
    const running = await world.run(exportRow, { windowStart: hour(2), windowEnd: hour(3), status: 'running' });
    const emitted = await world.run(exportRow, { windowStart: hour(3), windowEnd: hour(4), status: 'pending' });
    const mark = await world.outboxMark();

    const stopped = await useCase.execute({ accountId: owner.account.id, exportId: exportRow.id });

    expect(stopped).toMatchObject({ id: exportRow.id, status: 'stopped', stoppedAt: expect.any(Date) });
    expect(await world.exportRow(exportRow.id)).toMatchObject({ status: 'stopped' });
    const status = async (id: string) => (await world.runRow(id)).status;
    expect([await status(done.id), await status(running.id)]).toEqual(['done', 'running']);
    for (const run of [retrying, emitted])
      expect(await world.runRow(run.id)).toMatchObject({
        status: 'cancelled',
        error: CANCELLED_BY_STOP,
        nextAttemptAt: null,
        finishedAt: expect.any(Date),
      });
    const messages = await world.outboxSince(mark);
    // The export's event first, then one per cancelled run (in no particular order).
    const described = messages.map((m) => [m.topic, m.key, m.payload.runId ?? null, m.payload.status]);
    expect(described[0]).toEqual([world.topics.exportEvents, exportRow.id, null, 'stopped']);
    expect(described.slice(1).sort()).toEqual(
      [retrying.id, emitted.id].sort().map((runId) => [world.topics.exportEvents, exportRow.id, runId, 'cancelled']),
    );
    expect(messages.find((m) => m.payload.status === 'cancelled')?.payload).toMatchObject({
      version: 1,
      type: 'export-status',
      accountId: owner.account.id,
      error: CANCELLED_BY_STOP,
    });
  });

  it('stopping twice is fine and appends nothing the second time', async () => {
    const exportRow = await world.export(owner.account.id, credentialId, { frequency: 'recurring' });
    await useCase.execute({ accountId: owner.account.id, exportId: exportRow.id });
    const mark = await world.outboxMark();
    expect((await useCase.execute({ accountId: owner.account.id, exportId: exportRow.id })).status).toBe('stopped');
    expect(await world.outboxSince(mark)).toEqual([]);
  });

  it('refuses a one-time export (409) and changes nothing', async () => {
    const exportRow = await world.export(owner.account.id, credentialId);
    const run = await world.run(exportRow);
    const mark = await world.outboxMark();
    await expect(useCase.execute({ accountId: owner.account.id, exportId: exportRow.id })).rejects.toThrow(Conflict);
    expect((await world.exportRow(exportRow.id)).status).toBe('pending');
    expect((await world.runRow(run.id)).status).toBe('pending');
    expect(await world.outboxSince(mark)).toEqual([]);
  });

  it("answers 404 for an unknown export and for another account's", async () => {
    const stranger = await world.account();
    const theirs = await world.export(
      stranger.account.id,
      (await world.credential(stranger.account.id)).credential.id,
      { frequency: 'recurring' },
    );
    await expect(useCase.execute({ accountId: owner.account.id, exportId: theirs.id })).rejects.toThrow(NotFound);
    await expect(
      useCase.execute({ accountId: owner.account.id, exportId: '01JUNKNOWNEXPORT000000000' }),
    ).rejects.toThrow(NotFound);
    expect((await world.exportRow(theirs.id)).status).toBe('pending');
  });
});
