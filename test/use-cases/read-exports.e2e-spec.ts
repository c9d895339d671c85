import { NotFound, newId } from '@bulk-export/domain';
import { Export, ExportFile, ExportRun } from '@bulk-export/persistence';
import { AccountFixture, TestWorld } from '@bulk-export/testing';
import { GetExportUseCase } from '../../apps/request-api/src/exports/get-export.use-case';
import { ListExportsUseCase } from '../../apps/request-api/src/exports/list-exports.use-case';
import { ListRunsUseCase } from '../../apps/request-api/src/exports/list-runs.use-case';

/**
 * The Activity Log's reads in-process against Postgres: the account's exports newest first
 * by cursor with their runs, one export with its runs and files, and an export's runs page
 * by page with their files. Another account's export is NotFound, never shown.
 */
describe('reading exports', () => {
  let world: TestWorld;
  let list: ListExportsUseCase;
  let get: GetExportUseCase;
  let listRuns: ListRunsUseCase;
  let owner: AccountFixture;
  let other: AccountFixture;
  let exportsOfOwner: Export[];
  let runsOfFirst: ExportRun[];

  /** A file row of `run`, as the finish task records it. */
  const file = (run: ExportRun, fileIndex: number) =>
    world.db.getRepository(ExportFile).save({
      id: newId(),
      runId: run.id,
      objectName: `${run.id}/E0-${fileIndex}.json.gz`,
      eventName: 'E0',
      day: '20261201',
      fileIndex,
      rows: 10 + fileIndex,
      bytes: 100,
      crc32c: 'AAAAAA==',
    });

  beforeAll(async () => {
    world = await TestWorld.open();
    list = new ListExportsUseCase(world.exports);
    get = new GetExportUseCase(world.exports);
    listRuns = new ListRunsUseCase(world.exports);
    owner = await world.account();
    other = await world.account();
    const credentialId = (await world.credential(owner.account.id)).credential.id;
    exportsOfOwner = [];
    for (let i = 0; i < 5; i++) exportsOfOwner.push(await world.export(owner.account.id, credentialId));
    const otherCredential = (await world.credential(other.account.id)).credential.id;
    await world.export(other.account.id, otherCredential);
    // The first export has three runs, the first of them with two files.
    const first = exportsOfOwner[0];
    runsOfFirst = [];
    for (let h = 0; h < 3; h++)
      runsOfFirst.push(
        await world.run(first, {
          windowStart: new Date(first.windowFrom.getTime() + h * 3_600_000),
          windowEnd: new Date(first.windowFrom.getTime() + (h + 1) * 3_600_000),
          status: h === 0 ? 'done' : 'failed',
        }),
      );
    await file(runsOfFirst[0], 0);
    await file(runsOfFirst[0], 1);
  });

  afterAll(async () => {
    await world?.close();
  });

  it('lists the account’s exports newest first, two at a time, each with its runs, and only its own', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await list.execute({ accountId: owner.account.id, page: { limit: 2, cursor } });
      expect(page.items.length).toBeLessThanOrEqual(2);
      for (const { exportRow, runs } of page.items) {
        seen.push(exportRow.id);
        expect(runs.map((r) => r.id).sort()).toEqual(
          exportRow.id === exportsOfOwner[0].id ? runsOfFirst.map((r) => r.id).sort() : [],
        );
      }
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    // Newest first is by id (time first, then random: two made in the same millisecond keep an order).
    expect(seen).toEqual(
      exportsOfOwner
        .map((e) => e.id)
        .sort()
        .reverse(),
    );
  });

  it('gets one export with its runs and their files; another account’s export is NotFound', async () => {
    const first = exportsOfOwner[0];
    const { exportRow, runs, files } = await get.execute({ accountId: owner.account.id, exportId: first.id });
    expect(exportRow.id).toBe(first.id);
    expect(runs.map((r) => r.id).sort()).toEqual(runsOfFirst.map((r) => r.id).sort());
    expect(files.map((f) => [f.runId, f.fileIndex, f.rows])).toEqual(
      expect.arrayContaining([
        [runsOfFirst[0].id, 0, 10],
        [runsOfFirst[0].id, 1, 11],
      ]),
    );
    expect(files).toHaveLength(2);
    await expect(get.execute({ accountId: other.account.id, exportId: first.id })).rejects.toThrow(NotFound);
    await expect(get.execute({ accountId: owner.account.id, exportId: newId() })).rejects.toThrow(NotFound);
  });

  it('pages an export’s runs newest first, each with its own files', async () => {
    const first = exportsOfOwner[0];
    const one = await listRuns.execute({ accountId: owner.account.id, exportId: first.id, page: { limit: 2 } });
    const two = await listRuns.execute({
      accountId: owner.account.id,
      exportId: first.id,
      page: { limit: 2, cursor: one.nextCursor ?? undefined },
    });
    expect(two.nextCursor).toBeNull();
    const ids = [...one.items, ...two.items].map(({ run }) => run.id);
    expect(ids).toEqual(
      runsOfFirst
        .map((r) => r.id)
        .sort()
        .reverse(),
    );
    const withFiles = [...one.items, ...two.items].find(({ run }) => run.id === runsOfFirst[0].id);
    expect(withFiles?.files.map((f) => f.fileIndex).sort()).toEqual([0, 1]);
    expect([...one.items, ...two.items].filter(({ files }) => files.length > 0)).toHaveLength(1);
    await expect(listRuns.execute({ accountId: other.account.id, exportId: first.id, page: {} })).rejects.toThrow(
      NotFound,
    );
  });
});
