import { existsSync } from 'node:fs';
import { ExtractResult, WriteSpec } from '@bulk-export/domain';
import { AccountFixture, kcatConsumeAll, TestWorld } from '@bulk-export/testing';
import { ExtractTaskUseCase } from '../../apps/extractor/src/extract-task.use-case';
import { commandOf, events, plannedRunOver, Workers } from './support/workers';

/**
 * ExtractTaskUseCase in-process against Postgres and Kafka: an extract task reads its offset
 * range from the account's topic, stages it, dead-letters what is not an event and records
 * its groups; the last one makes the write tasks and their commands. Stale commands change
 * nothing; a failed try is retried with backoff, the last one fails the run's attempt.
 */
describe('ExtractTaskUseCase', () => {
  let world: TestWorld;
  let workers: Workers;
  let useCase: ExtractTaskUseCase;
  let owner: AccountFixture;
  let credentialId: string;
  const RETRY_BASE_MS = 1000;

  beforeAll(async () => {
    world = await TestWorld.open({
      RUN_RETRY_BASE_MS: String(RETRY_BASE_MS),
      RUN_MAX_ATTEMPTS: '2',
      RUN_MAX_TAKEOVERS: '1',
    });
    workers = await Workers.open(world);
    useCase = workers.extractTask();
    owner = await world.account();
    credentialId = (await world.credential(owner.account.id)).credential.id;
  });

  afterAll(async () => {
    await workers?.close();
    await world?.close();
  });

  it('stages each task’s range and records its groups; the last task makes one write task per group, with their commands', async () => {
    // 10 events and 2 messages that are not events, in two tasks of 6 offsets.
    const values = [...events(10), 'not json at all', JSON.stringify({ no: 'event name' })];
    const { run, tasks } = await plannedRunOver(workers, owner, credentialId, values, 6);
    expect(tasks.map((t) => [t.kind, t.seq])).toEqual([
      ['extract', 0],
      ['extract', 1],
    ]);

    const mark = await world.outboxMark();
    await useCase.execute(commandOf(tasks[0]));
    const first = await world.taskRow(tasks[0].id);
    expect(first).toMatchObject({ status: 'done', finishedAt: expect.any(Date) });
    expect(first.result).toMatchObject({
      rows: 6,
      rejected: 0,
      groups: [
        { eventName: 'E0', rows: 3 },
        { eventName: 'E1', rows: 3 },
      ].map(expect.objectContaining),
      warning: null,
    });
    expect(await world.runRow(run.id)).toMatchObject({ phase: 'extract', rowsExtracted: 6 });
    expect(await world.outboxSince(mark)).toEqual([]);

    await useCase.execute(commandOf(tasks[1]));
    const second = (await world.taskRow(tasks[1].id)).result as ExtractResult;
    expect(second).toMatchObject({ rows: 6, rejected: 2 });
    expect(await world.runRow(run.id)).toMatchObject({
      status: 'running',
      phase: 'write',
      rowsExtracted: 12,
      rowsRejected: 2,
    });
    // Each task published its staging under its claim.
    for (const task of [first.result as ExtractResult, second])
      expect(existsSync(workers.staging.localDir(run.id, 1, task.staging))).toBe(true);

    const writes = await world.tasksOf(run.id, 'write');
    expect(
      writes.map((t) => {
        const spec = t.spec as WriteSpec;
        return [spec.eventName, spec.rows, spec.sources.map((s) => s.taskId)];
      }),
    ).toEqual([
      ['E0', 5, [tasks[0].id, tasks[1].id]],
      ['E1', 5, [tasks[0].id, tasks[1].id]],
    ]);
    expect((await world.outboxSince(mark)).map((m) => [m.topic, m.payload])).toEqual(
      writes.map((t) => [
        world.topics.writeTasks,
        { version: 1, runId: run.id, attempt: 1, taskId: t.id, kind: 'write', taskAttempt: 1 },
      ]),
    );
    // The two messages that are not events went to the dead-letter topic, as they were.
    const deadLettered = await kcatConsumeAll(world.topics.deadLetter);
    expect(deadLettered.map((m) => m.value).sort()).toEqual(values.slice(10).sort());
  });

  it("ignores a stale command: a done task's, an older try's", async () => {
    const { run, tasks } = await plannedRunOver(workers, owner, credentialId, events(4), 10);
    await useCase.execute(commandOf(tasks[0]));
    const done = await world.taskRow(tasks[0].id);
    const mark = await world.outboxMark();
    await useCase.execute(commandOf(tasks[0]));
    await useCase.execute({ ...commandOf(tasks[0]), taskAttempt: 2 });
    expect(await world.taskRow(tasks[0].id)).toEqual(done);
    expect(await world.runRow(run.id)).toMatchObject({ phase: 'write', rowsExtracted: 4 });
    expect(await world.outboxSince(mark)).toEqual([]);
  });

  it('fails a try taken over too often: the task waits for its retry (backoff); its last try fails the run’s attempt, with its status event', async () => {
    const { exportRow, run, tasks } = await plannedRunOver(workers, owner, credentialId, events(3), 10);
    // A worker took the task and vanished; another took it over (the most allowed) and vanished too.
    await world.db.query(`UPDATE run_tasks SET status = 'running', claim = 'gone', takeovers = 1 WHERE id = $1`, [
      tasks[0].id,
    ]);
    const mark = await world.outboxMark();
    const before = Date.now();
    await useCase.execute(commandOf(tasks[0]));
    const retrying = await world.taskRow(tasks[0].id);
    expect(retrying).toMatchObject({
      status: 'pending',
      taskAttempt: 2,
      claim: null,
      takeovers: 0,
      error: expect.stringMatching(/stopped 2 times before finishing it/),
    });
    expect(retrying.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(before + RETRY_BASE_MS);
    expect(retrying.nextAttemptAt!.getTime()).toBeLessThanOrEqual(Date.now() + RETRY_BASE_MS);
    expect(await world.outboxSince(mark)).toEqual([]);

    // Its last try (RUN_MAX_ATTEMPTS = 2) is taken over too often as well: the run's attempt fails and waits for its
    // retry.
    await world.db.query(
      `UPDATE run_tasks SET status = 'running', claim = 'gone', takeovers = 1, next_attempt_at = NULL WHERE id = $1`,
      [tasks[0].id],
    );
    await useCase.execute(commandOf(retrying));
    expect(await world.runRow(run.id)).toMatchObject({
      status: 'pending',
      attempt: 2,
      phase: null,
      claim: null,
      nextAttemptAt: expect.any(Date),
      error: expect.stringMatching(/stopped 2 times/),
    });
    const described = (await world.outboxSince(mark)).map((m) => [
      m.topic,
      m.key,
      m.payload.runId ?? '',
      m.payload.status,
    ]);
    expect(described.sort()).toEqual([
      // The one-time export runs on: its run is retried.
      [world.topics.exportEvents, exportRow.id, '', 'running'],
      [world.topics.exportEvents, exportRow.id, run.id, 'pending'],
    ]);
  });
});
