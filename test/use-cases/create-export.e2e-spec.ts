import { Conflict, InvalidField, NotFound } from '@bulk-export/domain';
import { AccountFixture, CredentialFixture, TestWorld } from '@bulk-export/testing';
import { CreateExport, CreateExportUseCase } from '../../apps/request-api/src/exports/create-export.use-case';

/**
 * CreateExportUseCase in-process against Postgres: the export row, its one status event in the outbox, and the
 * product's refusals.
 */
describe('CreateExportUseCase', () => {
  let world: TestWorld;
  let useCase: CreateExportUseCase;
  let owner: AccountFixture;
  let saved: CredentialFixture;
  const hour = 3_600_000;
  const now = Date.now();

  beforeAll(async () => {
    world = await TestWorld.open();
    useCase = new CreateExportUseCase(world.exports, world.credentials, world.topics);
    owner = await world.account();
    saved = await world.credential(owner.account.id);
  });

  afterAll(async () => {
    await world?.close();
  });

  const oneTime = (overrides: Partial<CreateExport> = {}): CreateExport => ({
    accountId: owner.account.id,
    credentialId: saved.credential.id,
    type: 'all_events',
    frequency: 'one_time',
    from: new Date(now - 3 * hour).toISOString(),
    to: new Date(now - 2 * hour).toISOString(),
    format: 'json',
    ...overrides,
  });

  it('saves a pending one-time export and appends exactly its pending event', async () => {
    const mark = await world.outboxMark();
    const created = await useCase.execute(oneTime({ format: 'parquet', prefix: 'daily/' }), now);
    const row = await world.exportRow(created.id);
    expect(row).toMatchObject({
      accountId: owner.account.id,
      credentialId: saved.credential.id,
      status: 'pending',
      frequency: 'one_time',
      format: 'parquet',
      compression: 'snappy',
      prefix: 'daily/',
      intervalHours: null,
      windowFrom: new Date(now - 3 * hour),
      windowTo: new Date(now - 2 * hour),
    });
    expect(await world.outboxSince(mark)).toEqual([
      {
        id: expect.any(String),
        topic: world.topics.exportEvents,
        key: created.id,
        payload: {
          version: 1,
          type: 'export-status',
          exportId: created.id,
          accountId: owner.account.id,
          status: 'pending',
          at: new Date(now).toISOString(),
        },
      },
    ]);
  });

  it('saves a recurring export starting now, with no end', async () => {
    const created = await useCase.execute(
      {
        accountId: owner.account.id,
        credentialId: saved.credential.id,
        type: 'select_events',
        events: ['Charged'],
        frequency: 'recurring',
        intervalHours: 6,
        format: 'csv',
        compression: 'gzip',
      },
      now,
    );
    expect(await world.exportRow(created.id)).toMatchObject({
      frequency: 'recurring',
      intervalHours: 6,
      windowFrom: new Date(now),
      windowTo: null,
      eventNames: ['Charged'],
      compression: 'gzip',
      profileMode: 'incremental',
    });
  });

  it('creates one export for one idempotency key, however often it is asked', async () => {
    const mark = await world.outboxMark();
    const first = await useCase.execute(oneTime({ idempotencyKey: 'key-1' }), now);
    const again = await useCase.execute(oneTime({ idempotencyKey: 'key-1', format: 'csv' }), now);
    expect(again.id).toBe(first.id);
    expect((await world.exportRow(first.id)).format).toBe('json');
    expect((await world.outboxSince(mark)).map((m) => m.key)).toEqual([first.id]);
  });

  it("refuses credentials that are unknown, another account's or deleted (404), appending nothing", async () => {
    const stranger = await world.account();
    const theirs = await world.credential(stranger.account.id);
    const deleted = await world.credential(owner.account.id, { deleted: true });
    const mark = await world.outboxMark();
    for (const credentialId of ['01JUNKNOWNCREDENTIAL00000', theirs.credential.id, deleted.credential.id]) {
      await expect(useCase.execute(oneTime({ credentialId }), now)).rejects.toThrow(NotFound);
    }
    expect(await world.outboxSince(mark)).toEqual([]);
  });

  it('refuses a one-time profile export while a recurring one is scheduled (409), and allows it once that one is stopped', async () => {
    const account = await world.account();
    const { credential } = await world.credential(account.account.id, { bucket: saved.bucket });
    const recurring = await world.export(account.account.id, credential.id, {
      type: 'all_profiles',
      frequency: 'recurring',
    });
    const profiles = oneTime({ accountId: account.account.id, credentialId: credential.id, type: 'all_profiles' });
    await expect(useCase.execute(profiles, now)).rejects.toThrow(
      new Conflict(
        `a recurring profile export (${recurring.id}) is scheduled for this account: stop it first (POST /v1/exports/${recurring.id}/stop)`,
      ),
    );
    await world.db.query(`UPDATE exports SET status = 'stopped' WHERE id = $1`, [recurring.id]);
    expect((await useCase.execute(profiles, now)).type).toBe('all_profiles');
  });

  it('names the field of a request that breaks the rules', async () => {
    const cases: [Partial<CreateExport>, string][] = [
      [{ format: 'json', compression: 'snappy' }, 'compression'],
      [{ events: ['a'] }, 'events'],
      [{ intervalHours: 1 }, 'intervalHours'],
      [{ xmlLayout: 'typed' }, 'xmlLayout'],
      [{ profileMode: 'snapshot' }, 'profileMode'],
    ];
    for (const [overrides, field] of cases) {
      const error = await useCase.execute(oneTime(overrides), now).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidField);
      expect((error as InvalidField).field).toBe(field);
    }
    await expect(useCase.execute({ ...oneTime(), frequency: 'recurring', intervalHours: 1 }, now)).rejects.toThrow(
      InvalidField,
    );
  });
});
