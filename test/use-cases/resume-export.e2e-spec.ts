import { BucketNotFound, Conflict, NotFound } from '@bulk-export/domain';
import { AccountFixture, gcs, TestWorld } from '@bulk-export/testing';
import { ResumeExportUseCase } from '../../apps/request-api/src/exports/resume-export.use-case';

/**
 * ResumeExportUseCase in-process against Postgres and fake-gcs-server: the credentials are probed again before a paused
 * export resumes.
 */
describe('ResumeExportUseCase', () => {
  let world: TestWorld;
  let useCase: ResumeExportUseCase;
  let owner: AccountFixture;

  beforeAll(async () => {
    world = await TestWorld.open();
    useCase = new ResumeExportUseCase(world.exports, world.credentials, world.cipher, world.clients, world.topics);
    owner = await world.account();
  });

  afterAll(async () => {
    await world?.close();
  });

  const paused = async (credentialId: string) =>
    world.export(owner.account.id, credentialId, {
      frequency: 'recurring',
      status: 'paused',
      error: 'its latest 3 runs failed',
    });

  it('resumes a paused export after probing its bucket, with its pending event; the probe leaves nothing behind', async () => {
    const { credential, bucket } = await world.credential(owner.account.id);
    const exportRow = await paused(credential.id);
    const mark = await world.outboxMark();

    const resumed = await useCase.execute({ accountId: owner.account.id, exportId: exportRow.id });

    expect(resumed).toMatchObject({ id: exportRow.id, status: 'pending', pausedAt: null, error: null });
    expect(await world.exportRow(exportRow.id)).toMatchObject({ status: 'pending', pausedAt: null, error: null });
    expect((await world.outboxSince(mark)).map((m) => ({ topic: m.topic, key: m.key, payload: m.payload }))).toEqual([
      {
        topic: world.topics.exportEvents,
        key: exportRow.id,
        payload: {
          version: 1,
          type: 'export-status',
          exportId: exportRow.id,
          accountId: owner.account.id,
          status: 'pending',
          at: expect.any(String),
        },
      },
    ]);
    expect(await gcs.list(bucket)).toEqual([]);
  });

  it('refuses (and keeps the export paused) while its bucket is gone', async () => {
    const { credential, bucket } = await world.credential(owner.account.id);
    const exportRow = await paused(credential.id);
    await gcs.deleteBucket(bucket);
    const mark = await world.outboxMark();
    await expect(useCase.execute({ accountId: owner.account.id, exportId: exportRow.id })).rejects.toThrow(
      BucketNotFound,
    );
    expect((await world.exportRow(exportRow.id)).status).toBe('paused');
    expect(await world.outboxSince(mark)).toEqual([]);
  });

  it('refuses an export whose credentials were deleted (409)', async () => {
    const { credential } = await world.credential(owner.account.id, { deleted: true });
    const exportRow = await paused(credential.id);
    await expect(useCase.execute({ accountId: owner.account.id, exportId: exportRow.id })).rejects.toThrow(
      /credentials were deleted/,
    );
    expect((await world.exportRow(exportRow.id)).status).toBe('paused');
  });

  it("refuses an export that is not paused (409), and answers 404 for an unknown one or another account's", async () => {
    const { credential } = await world.credential(owner.account.id);
    for (const status of ['pending', 'stopped'] as const) {
      const exportRow = await world.export(owner.account.id, credential.id, { frequency: 'recurring', status });
      await expect(useCase.execute({ accountId: owner.account.id, exportId: exportRow.id })).rejects.toThrow(
        new Conflict(`only a paused export can be resumed; this one is ${status}`),
      );
    }
    const stranger = await world.account();
    const theirs = await world.export(
      stranger.account.id,
      (await world.credential(stranger.account.id)).credential.id,
      { frequency: 'recurring', status: 'paused' },
    );
    await expect(useCase.execute({ accountId: owner.account.id, exportId: theirs.id })).rejects.toThrow(NotFound);
    await expect(
      useCase.execute({ accountId: owner.account.id, exportId: '01JUNKNOWNEXPORT000000000' }),
    ).rejects.toThrow(NotFound);
    expect((await world.exportRow(theirs.id)).status).toBe('paused');
  });
});
