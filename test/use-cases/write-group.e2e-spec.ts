import { TaskFile, WriteSpec } from '@bulk-export/domain';
import { RunObjects } from '@bulk-export/formats';
import { AccountFixture, CredentialFixture, gcs, TestWorld } from '@bulk-export/testing';
import { WriteGroupUseCase } from '../../apps/uploader/src/write-group.use-case';
import { readJsonFile, readParquetFile } from '../support/readers';
import { commandOf, events, extractedRun, Workers } from './support/workers';

/**
 * WriteGroupUseCase in-process against Postgres, Kafka (the extraction before it) and
 * fake-gcs-server: a write task uploads its file group and records the files; the last one
 * makes the finish task and its command. A stale command changes nothing; a failed try
 * records nothing and waits for its retry.
 */
describe('WriteGroupUseCase', () => {
  let world: TestWorld;
  let workers: Workers;
  let useCase: WriteGroupUseCase;
  let owner: AccountFixture;
  let saved: CredentialFixture;

  beforeAll(async () => {
    world = await TestWorld.open();
    workers = await Workers.open(world);
    useCase = workers.writeGroup();
    owner = await world.account();
    saved = await world.credential(owner.account.id);
  });

  afterAll(async () => {
    await workers?.close();
    await world?.close();
  });

  it('uploads each group in Kafka order and records its files; the last write task makes the finish task, with its command', async () => {
    const { exportRow, run, writes } = await extractedRun(workers, owner, saved.credential.id, events(10), {
      prefix: 'out/',
    });
    const objects = new RunObjects(exportRow.prefix, exportRow.id, run.windowEnd);
    const [e0, e1] = writes.map((t) => t.spec as WriteSpec);
    const mark = await world.outboxMark();

    await useCase.execute(commandOf(writes[0]));
    const name = objects.file({
      eventName: 'E0',
      day: e0.day,
      index: 0,
      databaseId: owner.account.databaseId,
      extension: 'json',
    });
    const listed = await gcs.list(saved.bucket);
    expect(listed.map((o) => o.name)).toEqual([name]);
    const task = await world.taskRow(writes[0].id);
    expect(task).toMatchObject({ status: 'done' });
    expect((task.result as { files: TaskFile[] }).files).toEqual([
      {
        objectName: name,
        eventName: 'E0',
        day: e0.day,
        fileIndex: 0,
        rows: 5,
        bytes: listed[0].size,
        crc32c: listed[0].crc32c,
      },
    ]);
    const file = readJsonFile(await gcs.download(saved.bucket, name));
    expect(file.rows.map((r) => (r as { eventProps: { seq: number } }).eventProps.seq)).toEqual([0, 2, 4, 6, 8]);
    expect(await world.runRow(run.id)).toMatchObject({ phase: 'write', rowsWritten: 5, filesCount: 1 });
    expect(await world.outboxSince(mark)).toEqual([]);

    await useCase.execute(commandOf(writes[1]));
    expect((await gcs.list(saved.bucket)).map((o) => o.name)).toEqual([
      name,
      objects.file({ eventName: 'E1', day: e1.day, index: 0, databaseId: owner.account.databaseId, extension: 'json' }),
    ]);
    expect(await world.runRow(run.id)).toMatchObject({ phase: 'finish', rowsWritten: 10, filesCount: 2 });
    const [finish] = await world.tasksOf(run.id, 'finish');
    expect((await world.outboxSince(mark)).map((m) => [m.topic, m.payload])).toEqual([
      [
        world.topics.writeTasks,
        { version: 1, runId: run.id, attempt: 1, taskId: finish.id, kind: 'finish', taskAttempt: 1 },
      ],
    ]);
    await gcs.empty(saved.bucket);
  });

  it('writes Parquet with the codec the export asked for', async () => {
    const { writes } = await extractedRun(workers, owner, saved.credential.id, events(3, 1), {
      format: 'parquet',
      compression: 'zstd',
    });
    await useCase.execute(commandOf(writes[0]));
    const [object] = await gcs.list(saved.bucket);
    expect(object.name).toMatch(/\.parquet$/);
    const read = await readParquetFile(await gcs.download(saved.bucket, object.name));
    expect([read.rows.length, read.codecs]).toEqual([3, ['ZSTD']]);
    await gcs.empty(saved.bucket);
  });

  it("ignores a stale command (an older or a later try's), and records nothing of a try that fails: it waits for its retry", async () => {
    const { credential, bucket } = await world.credential(owner.account.id);
    const { run, writes } = await extractedRun(workers, owner, credential.id, events(4, 1));
    await useCase.execute({ ...commandOf(writes[0]), taskAttempt: 2 });
    expect(await world.taskRow(writes[0].id)).toMatchObject({ status: 'pending', claim: null, taskAttempt: 1 });
    expect(await gcs.list(bucket)).toEqual([]);

    await gcs.deleteBucket(bucket);
    const mark = await world.outboxMark();
    await useCase.execute(commandOf(writes[0]));
    expect(await world.taskRow(writes[0].id)).toMatchObject({
      status: 'pending',
      taskAttempt: 2,
      claim: null,
      result: null,
      nextAttemptAt: expect.any(Date),
      error: expect.stringMatching(/bucket|404|Not Found/i),
    });
    expect(await world.runRow(run.id)).toMatchObject({ phase: 'write', rowsWritten: 0, filesCount: 0 });
    expect(await world.outboxSince(mark)).toEqual([]);
  });
});
