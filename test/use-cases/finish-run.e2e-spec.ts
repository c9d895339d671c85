import { existsSync } from 'node:fs';
import { ExportFile } from '@bulk-export/persistence';
import { RunObjects } from '@bulk-export/formats';
import { AccountFixture, CredentialFixture, gcs, TestWorld } from '@bulk-export/testing';
import { FinishRunUseCase } from '../../apps/uploader/src/finish-run.use-case';
import { commandOf, events, extractedRun, Workers } from './support/workers';

/**
 * FinishRunUseCase in-process against Postgres, Kafka (the extraction before it) and
 * fake-gcs-server: once every group is up, the finish task removes what an earlier attempt
 * left, writes the manifest, records the files and marks the run (and a one-time export)
 * done with their events, then removes the staging.
 */
describe('FinishRunUseCase', () => {
  let world: TestWorld;
  let workers: Workers;
  let useCase: FinishRunUseCase;
  let owner: AccountFixture;

  beforeAll(async () => {
    world = await TestWorld.open();
    workers = await Workers.open(world);
    useCase = workers.finishRun();
    owner = await world.account();
  });

  afterAll(async () => {
    await workers?.close();
    await world?.close();
  });

  /** A run written up to its finish task, into a bucket of its own. */
  async function writtenRun(): Promise<{
    saved: CredentialFixture;
    exportId: string;
    runId: string;
    objects: RunObjects;
  }> {
    const saved = await world.credential(owner.account.id);
    const { exportRow, run, writes } = await extractedRun(workers, owner, saved.credential.id, events(6, 2));
    const write = workers.writeGroup();
    for (const task of writes) await write.execute(commandOf(task));
    expect((await world.runRow(run.id)).phase).toBe('finish');
    return {
      saved,
      exportId: exportRow.id,
      runId: run.id,
      objects: new RunObjects(exportRow.prefix, exportRow.id, run.windowEnd),
    };
  }

  it('writes the manifest last, removes an earlier attempt’s extra file, records the files and marks run and export done, with their events', async () => {
    const { saved, exportId, runId, objects } = await writtenRun();
    const written = (await gcs.list(saved.bucket)).map((o) => o.name);
    const leftOver = `${written[0].replace(/-0\.json$/, '')}-1.json`;
    await gcs.upload(saved.bucket, leftOver, '"E0"\n{}\n');
    const [finish] = await world.tasksOf(runId, 'finish');
    const mark = await world.outboxMark();

    await useCase.execute(commandOf(finish));

    const listed = await gcs.list(saved.bucket);
    expect(listed.map((o) => o.name)).toEqual([...written, objects.manifest].sort());
    const manifest = JSON.parse((await gcs.download(saved.bucket, objects.manifest)).toString('utf8'));
    expect(manifest).toMatchObject({
      version: 1,
      requestId: exportId,
      runId,
      databaseId: owner.account.databaseId,
      type: 'all_events',
      format: 'json',
      compression: 'none',
      rows: 6,
    });
    expect(
      manifest.files.map((f: { name: string; rows: number; crc32c: string }) => [f.name, f.rows, f.crc32c]),
    ).toEqual(written.map((name) => [name, 3, listed.find((o) => o.name === name)!.crc32c]));
    const files = await world.db.getRepository(ExportFile).find({ where: { runId }, order: { objectName: 'ASC' } });
    expect(files.map((f) => [f.objectName, f.rows])).toEqual(written.map((name) => [name, 3]));
    expect(await world.runRow(runId)).toMatchObject({
      status: 'done',
      phase: null,
      claim: null,
      rowsWritten: 6,
      filesCount: 2,
      finishedAt: expect.any(Date),
    });
    expect(await world.exportRow(exportId)).toMatchObject({ status: 'done' });
    expect(await world.taskRow(finish.id)).toMatchObject({ status: 'done' });
    const described = (await world.outboxSince(mark)).map((m) => [
      m.topic,
      m.key,
      m.payload.runId ?? '',
      m.payload.status,
    ]);
    expect(described.sort()).toEqual([
      [world.topics.exportEvents, exportId, '', 'done'],
      [world.topics.exportEvents, exportId, runId, 'done'],
    ]);
    expect(existsSync(workers.staging.localRunRoot(runId))).toBe(false);
  });

  it("ignores a stale finish command, and a try that fails (its credentials deleted) leaves the run unfinished, waiting for the task's retry", async () => {
    const { saved, exportId, runId } = await writtenRun();
    const [finish] = await world.tasksOf(runId, 'finish');
    await useCase.execute({ ...commandOf(finish), taskAttempt: 2 });
    expect(await world.taskRow(finish.id)).toMatchObject({ status: 'pending', taskAttempt: 1 });

    await world.credentials.delete(owner.account.id, saved.credential.id);
    const mark = await world.outboxMark();
    await useCase.execute(commandOf(finish));
    expect(await world.taskRow(finish.id)).toMatchObject({
      status: 'pending',
      taskAttempt: 2,
      nextAttemptAt: expect.any(Date),
      error: "the export's credentials were deleted",
    });
    expect(await world.runRow(runId)).toMatchObject({ status: 'running', phase: 'finish' });
    expect(await world.exportRow(exportId)).toMatchObject({ status: 'running' });
    expect((await gcs.list(saved.bucket)).some((o) => o.name.endsWith('manifest.json'))).toBe(false);
    expect(await world.outboxSince(mark)).toEqual([]);
  });
});
