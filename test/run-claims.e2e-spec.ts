import { ExtractResult, extractTasks, newId, TakenOverTooOften } from '@bulk-export/domain';
import { RunsRepository, RunTask, RunTasksRepository } from '@bulk-export/persistence';
import { TestWorld } from '@bulk-export/testing';

/**
 * A run's attempt is planned by the extractor that holds the run, then fans out into tasks
 * that any replica takes. A consumer that loses its partition in a rebalance may work on:
 * the command goes to another worker, which claims the run or the task again. Only the
 * worker holding the claim can plan the run, complete a task, or fail it; the one that lost
 * it is refused. Against the real Postgres, with no worker running (the test plays every worker).
 */
describe('run and task claims', () => {
  let world: TestWorld;
  let runs: RunsRepository;
  let tasks: RunTasksRepository;
  let accountId: string;
  let credentialId: string;
  const commands = (created: RunTask[]) =>
    created.map((t) => ({ topic: 'test.tasks', key: t.id, payload: { taskId: t.id } }));

  beforeAll(async () => {
    world = await TestWorld.open();
    ({ runs, tasks } = world);
    accountId = (await world.account()).account.id;
    credentialId = (await world.credential(accountId)).credential.id;
  });

  afterAll(async () => {
    await world?.close();
  });

  /** A one-time export's run as the scheduler makes it: pending, attempt 1 (no scheduler runs here). */
  async function newRun(): Promise<string> {
    const to = Date.now() - 1000;
    const exportRow = await world.export(accountId, credentialId, {
      windowFrom: new Date(to - 60_000),
      windowTo: new Date(to),
    });
    return (await world.run(exportRow)).id;
  }
  const row = async (runId: string) =>
    (
      await world.db.query(
        `SELECT status, attempt, phase, rows_extracted, rows_written, files_count, claim, takeovers, warning FROM export_runs WHERE id = $1`,
        [runId],
      )
    )[0];
  const tasksOf = async (runId: string, kind: string) =>
    (await world.db.query(
      `SELECT id, seq, status, task_attempt, claim, spec, takeovers FROM run_tasks WHERE run_id = $1 AND kind = $2 ORDER BY attempt, seq`,
      [runId, kind],
    )) as {
      id: string;
      seq: number;
      status: string;
      task_attempt: number;
      claim: string | null;
      spec: { eventName?: string; day?: string; rows?: number; sources?: { taskId: string }[] };
      takeovers: number;
    }[];
  // Two partitions, the first cut in two: three extract tasks.
  const plan = {
    offsets: { '0': { start: '0', end: '20' }, '1': { start: '0', end: '5' } },
    warning: 'planned warning',
    extracts: extractTasks(
      [
        { partition: 0, start: 0n, end: 20n },
        { partition: 1, start: 0n, end: 5n },
      ],
      [],
      10,
      false,
    ),
  };
  const extracted = (groups: [string, string, number][], warning: string | null = null): ExtractResult => ({
    rows: groups.reduce((n, g) => n + g[2], 0),
    rejected: 1,
    groups: groups.map(([eventName, day, rows]) => ({ eventName, day, rows })),
    warning,
    staging: `staging-${newId()}`,
  });
  const file = (eventName: string, day: string, index: number, rows: number) => ({
    objectName: `${eventName}-${day}-${index}`,
    eventName,
    day,
    fileIndex: index,
    rows,
    bytes: rows * 10,
    crc32c: 'AAAAAA==',
  });

  async function planned(runId: string): Promise<{ attempt: number; claim: string }> {
    const ctx = await runs.startExtraction(runId, 1, () => []);
    const holder = { attempt: 1, claim: ctx!.run.claim! };
    expect(await tasks.plan(runId, holder, plan, commands)).toBe(true);
    return holder;
  }

  it('plans an attempt only for the extractor holding the run, once; its command is then stale', async () => {
    const runId = await newRun();
    const first = await runs.startExtraction(runId, 1, () => []);
    const second = await runs.startExtraction(runId, 1, () => []);
    expect(second?.run.claim).not.toBe(first?.run.claim);
    expect(await tasks.plan(runId, { attempt: 1, claim: first!.run.claim! }, plan, commands)).toBe(false);
    expect(
      await runs.fail(runId, { attempt: 1, claim: first!.run.claim! }, 'lost worker failed', new Date(), () => []),
    ).toBe(false);
    expect(await tasks.plan(runId, { attempt: 1, claim: second!.run.claim! }, plan, commands)).toBe(true);
    expect(await tasks.plan(runId, { attempt: 1, claim: second!.run.claim! }, plan, commands)).toBe(false);
    expect(await row(runId)).toMatchObject({ status: 'running', phase: 'extract', warning: 'planned warning' });
    expect((await tasksOf(runId, 'extract')).map((t) => [t.seq, t.status])).toEqual([
      [0, 'pending'],
      [1, 'pending'],
      [2, 'pending'],
    ]);
    // The run's plan command delivered once more changes nothing: the tasks carry the attempt on.
    expect(await runs.startExtraction(runId, 1, () => [])).toBeNull();
  });

  it('takes each task through its phases: the last extract task makes the write tasks, the last write task the finish', async () => {
    const runId = await newRun();
    await planned(runId);
    const extracts = await tasksOf(runId, 'extract');
    // A redelivered command takes the task over; the worker that lost it can record nothing.
    const lost = await tasks.start(extracts[0].id, 1, 'worker-a');
    const held = await tasks.start(extracts[0].id, 1, 'worker-b');
    expect(
      await tasks.complete(
        extracts[0].id,
        { taskAttempt: 1, claim: lost!.task.claim! },
        extracted([['a', '20260101', 3]]),
        commands,
      ),
    ).toBe(false);
    expect(
      await tasks.complete(
        extracts[0].id,
        { taskAttempt: 1, claim: held!.task.claim! },
        extracted([['a', '20260101', 3]]),
        commands,
      ),
    ).toBe(true);
    expect(await tasks.start(extracts[0].id, 1, 'worker-a')).toBeNull(); // done
    expect(await tasks.start(extracts[1].id, 2, 'worker-a')).toBeNull(); // a try that does not exist
    const second = await tasks.start(extracts[1].id, 1, 'worker-a');
    const results = [
      extracted(
        [
          ['b', '20260101', 2],
          ['a', '20260101', 4],
        ],
        'out of order in partition 0',
      ),
      extracted([['a', '20260102', 5]]),
    ];
    expect(
      await tasks.complete(extracts[1].id, { taskAttempt: 1, claim: second!.task.claim! }, results[0], commands),
    ).toBe(true);
    expect(await tasksOf(runId, 'write')).toEqual([]);
    const third = await tasks.start(extracts[2].id, 1, 'worker-b');
    expect(
      await tasks.complete(extracts[2].id, { taskAttempt: 1, claim: third!.task.claim! }, results[1], commands),
    ).toBe(true);

    expect(await row(runId)).toMatchObject({
      phase: 'write',
      rows_extracted: '14',
      warning: 'planned warning; out of order in partition 0',
    });
    const writes = await tasksOf(runId, 'write');
    expect(
      writes.map((t) => [t.spec.eventName, t.spec.day, t.spec.rows, t.spec.sources!.map((s) => s.taskId)]),
    ).toEqual([
      ['a', '20260101', 7, [extracts[0].id, extracts[1].id]],
      ['a', '20260102', 5, [extracts[2].id]],
      ['b', '20260101', 2, [extracts[1].id]],
    ]);
    // The outbox got a command for every task made.
    const queued = await world.db.query(
      `SELECT count(*)::int AS n FROM outbox WHERE topic = 'test.tasks' AND payload->>'taskId' IN (SELECT id FROM run_tasks WHERE run_id = $1)`,
      [runId],
    );
    expect(queued[0].n).toBe(6);

    for (const [i, w] of writes.entries()) {
      const ctx = await tasks.start(w.id, 1, 'worker-a');
      expect(
        await tasks.complete(
          w.id,
          { taskAttempt: 1, claim: ctx!.task.claim! },
          {
            files: [
              file(w.spec.eventName!, w.spec.day!, 0, w.spec.rows!),
              ...(i === 0 ? [file('a', '20260101', 1, 0)] : []),
            ],
          },
          commands,
        ),
      ).toBe(true);
    }
    expect(await row(runId)).toMatchObject({ phase: 'finish', rows_written: '14', files_count: 4 });
    const [finish] = await tasksOf(runId, 'finish');
    const ctx = await tasks.start(finish.id, 1, 'worker-b');
    const files = await tasks.filesOf(ctx!.run);
    expect(files.map((f) => f.objectName)).toEqual(['a-20260101-0', 'a-20260101-1', 'a-20260102-0', 'b-20260101-0']);
    expect(await tasks.finishRun(finish.id, { taskAttempt: 1, claim: 'not-the-claim' }, files, () => [])).toBe(false);
    expect(await tasks.finishRun(finish.id, { taskAttempt: 1, claim: ctx!.task.claim! }, files, () => [])).toBe(true);
    expect(await row(runId)).toMatchObject({ status: 'done', phase: null, rows_written: '14', files_count: 4 });
  });

  it('goes straight to the finish when the window has nothing to read', async () => {
    const runId = await newRun();
    const ctx = await runs.startExtraction(runId, 1, () => []);
    expect(
      await tasks.plan(
        runId,
        { attempt: 1, claim: ctx!.run.claim! },
        { offsets: {}, warning: null, extracts: [] },
        commands,
      ),
    ).toBe(true);
    expect(await row(runId)).toMatchObject({ phase: 'finish' });
    expect(await tasksOf(runId, 'finish')).toHaveLength(1);
  });

  it('retries a failed task with backoff, and fails the attempt after its last try; the old attempt is then stale', async () => {
    const runId = await newRun();
    await planned(runId);
    const [task] = await tasksOf(runId, 'extract');
    const ctx = await tasks.start(task.id, 1, 'worker-a');
    const inAMinute = new Date(Date.now() + 60_000);
    expect(
      (await tasks.fail(task.id, { taskAttempt: 1, claim: 'not-the-claim' }, 'lost worker', inAMinute)).outcome,
    ).toBe('stale');
    expect(
      (await tasks.fail(task.id, { taskAttempt: 1, claim: ctx!.task.claim! }, 'staging store down', inAMinute)).outcome,
    ).toBe('retried');
    expect((await tasksOf(runId, 'extract'))[0]).toMatchObject({ status: 'pending', task_attempt: 2, claim: null });
    expect(await tasks.start(task.id, 1, 'worker-a')).toBeNull(); // the failed try's command
    expect(await tasks.start(task.id, 2, 'worker-a')).toBeNull(); // waits for its time
    expect(await tasks.emitDueRetries(new Date(), 10, commands)).toHaveLength(0);
    const emitted = await tasks.emitDueRetries(new Date(Date.now() + 120_000), 10, commands);
    expect(emitted.map((t) => t.id)).toEqual([task.id]);
    const again = await tasks.start(task.id, 2, 'worker-b');
    expect(again?.task.claim).toBeTruthy();
    // The last try: no retry; the caller fails the run's attempt.
    expect((await tasks.fail(task.id, { taskAttempt: 2 }, 'given up', null)).outcome).toBe('final');
    expect(await runs.fail(runId, { attempt: 1 }, 'given up', new Date(Date.now() - 1), () => [])).toBe(true);
    expect(await row(runId)).toMatchObject({ status: 'pending', attempt: 2, phase: null, claim: null });
    const [, other] = await tasksOf(runId, 'extract');
    expect(await tasks.start(other.id, 1, 'worker-a')).toBeNull();
  });

  it('counts the takeovers of a task and refuses one past the limit, changing nothing', async () => {
    const runId = await newRun();
    await planned(runId);
    const [task] = await tasksOf(runId, 'extract');
    await tasks.start(task.id, 1, 'worker-a', 1); // the first worker: no takeover
    await tasks.start(task.id, 1, 'worker-b', 1); // it died; the command came again
    const held = (await tasksOf(runId, 'extract'))[0];
    expect(held.takeovers).toBe(1);
    await expect(tasks.start(task.id, 1, 'worker-c', 1)).rejects.toThrow(
      /the extractor working on this attempt stopped 2 times before finishing it/,
    );
    expect((await tasksOf(runId, 'extract'))[0]).toMatchObject({ claim: held.claim, takeovers: 1 });
  });

  it('counts the takeovers of the planning and refuses one past the limit, changing nothing; a new attempt starts from none', async () => {
    const runId = await newRun();
    const claimOf = async () => (await row(runId)).claim as string;
    await runs.startExtraction(runId, 1, () => [], 2); // the first worker: no takeover
    await runs.startExtraction(runId, 1, () => [], 2); // it died; the command came again
    await runs.startExtraction(runId, 1, () => [], 2);
    expect((await row(runId)).takeovers).toBe(2);
    const held = await claimOf();
    await expect(runs.startExtraction(runId, 1, () => [], 2)).rejects.toThrow(TakenOverTooOften);
    await expect(runs.startExtraction(runId, 1, () => [], 2)).rejects.toThrow(
      /the extractor working on this attempt stopped 3 times before finishing it/,
    );
    expect(await claimOf()).toBe(held);
    expect((await row(runId)).takeovers).toBe(2);
    expect(await runs.fail(runId, { attempt: 1 }, 'taken over too often', new Date(Date.now() - 1), () => [])).toBe(
      true,
    );
    expect(await row(runId)).toMatchObject({ status: 'pending', attempt: 2, claim: null, takeovers: 0 });
  });
});
