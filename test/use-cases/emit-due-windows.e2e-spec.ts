import { TestWorld } from '@bulk-export/testing';
import { EmitDueWindows, EmitDueWindowsUseCase } from '../../apps/scheduler/src/emit-due-windows.use-case';

/**
 * EmitDueWindowsUseCase in-process against Postgres: the runs it creates for due windows,
 * the retries it emits, and exactly the outbox messages each appends. The scheduler's tick
 * is played by the test, with its own clock.
 */
describe('EmitDueWindowsUseCase', () => {
  let world: TestWorld;
  let useCase: EmitDueWindowsUseCase;
  let accountId: string;
  let credentialId: string;
  const HOUR = 3_600_000;
  const GRACE = 60_000;
  const tick = (now: Date, limit = 100): EmitDueWindows => ({ now, graceMs: GRACE, hourMs: HOUR, limit });

  beforeAll(async () => {
    world = await TestWorld.open();
    useCase = new EmitDueWindowsUseCase(world.dueRuns, world.runs, world.tasks, world.topics);
    accountId = (await world.account()).account.id;
    credentialId = (await world.credential(accountId)).credential.id;
  });

  afterAll(async () => {
    await world?.close();
  });

  it('creates the run of a one-time export once its window is past the grace, with its window command and pending event, and only once', async () => {
    const now = new Date();
    const due = await world.export(accountId, credentialId, {
      windowFrom: new Date(now.getTime() - 2 * HOUR),
      windowTo: new Date(now.getTime() - GRACE - 1),
    });
    const notYet = await world.export(accountId, credentialId, {
      windowFrom: new Date(now.getTime() - 2 * HOUR),
      windowTo: new Date(now.getTime() - GRACE + 5000),
    });
    const mark = await world.outboxMark();

    const { created, retried, retriedTasks } = await useCase.execute(tick(now));

    expect([created.map((r) => r.exportId), retried, retriedTasks]).toEqual([[due.id], [], []]);
    const [run] = await world.runsOf(due.id);
    expect(run).toMatchObject({
      status: 'pending',
      attempt: 1,
      windowStart: due.windowFrom,
      windowEnd: due.windowTo,
      nextAttemptAt: null,
    });
    expect(await world.runsOf(notYet.id)).toEqual([]);
    expect((await world.outboxSince(mark)).map((m) => ({ topic: m.topic, key: m.key, payload: m.payload }))).toEqual([
      {
        topic: world.topics.planRuns,
        key: due.id,
        payload: { version: 1, runId: run.id, exportId: due.id, attempt: 1 },
      },
      {
        topic: world.topics.exportEvents,
        key: due.id,
        payload: {
          version: 1,
          type: 'export-status',
          exportId: due.id,
          accountId,
          runId: run.id,
          status: 'pending',
          at: now.toISOString(),
        },
      },
    ]);

    const later = await world.outboxMark();
    const again = await useCase.execute(tick(now));
    expect(again.created).toEqual([]);
    expect(await world.runsOf(due.id)).toHaveLength(1);
    expect(await world.outboxSince(later)).toEqual([]);
    // The other one's window is due a little later.
    expect((await useCase.execute(tick(new Date(now.getTime() + 5001)))).created.map((r) => r.exportId)).toEqual([
      notYet.id,
    ]);
  });

  it('creates the windows of a recurring export one after another: the next only once the one before is no longer under way', async () => {
    const now = new Date();
    const from = new Date(now.getTime() - 2 * HOUR - GRACE - 1000);
    const recurring = await world.export(accountId, credentialId, {
      frequency: 'recurring',
      intervalHours: 1,
      windowFrom: from,
    });
    const window = (n: number) => ({
      windowStart: new Date(from.getTime() + n * HOUR),
      windowEnd: new Date(from.getTime() + (n + 1) * HOUR),
    });

    expect((await useCase.execute(tick(now))).created).toHaveLength(1);
    expect(await world.runsOf(recurring.id)).toEqual([expect.objectContaining({ ...window(0), status: 'pending' })]);
    // The first window's run is emitted and not started: no second window yet.
    expect((await useCase.execute(tick(now))).created).toEqual([]);
    await world.db.query(`UPDATE export_runs SET status = 'done' WHERE export_id = $1`, [recurring.id]);
    expect((await useCase.execute(tick(now))).created).toHaveLength(1);
    expect((await world.runsOf(recurring.id)).map((r) => [r.windowStart, r.windowEnd])).toEqual(
      [0, 1].map((n) => [window(n).windowStart, window(n).windowEnd]),
    );
    // The third window has not closed yet.
    await world.db.query(`UPDATE export_runs SET status = 'done' WHERE export_id = $1`, [recurring.id]);
    expect((await useCase.execute(tick(now))).created).toEqual([]);
    // A paused export gets no window.
    await world.db.query(`UPDATE exports SET status = 'paused' WHERE id = $1`, [recurring.id]);
    expect((await useCase.execute(tick(new Date(now.getTime() + HOUR)))).created).toEqual([]);
  });

  it('emits the retries that are due, with their window command only; not one still waiting, nor one of a paused export', async () => {
    const now = new Date();
    const exportOf = () =>
      world.export(accountId, credentialId, {
        frequency: 'recurring',
        windowFrom: new Date(now.getTime() + 10 * HOUR),
      });
    const due = await world.run(await exportOf(), {
      status: 'pending',
      attempt: 3,
      nextAttemptAt: new Date(now.getTime() - 1),
    });
    const waiting = await world.run(await exportOf(), {
      status: 'pending',
      attempt: 2,
      nextAttemptAt: new Date(now.getTime() + 60_000),
    });
    const paused = await world.run(
      await world.export(accountId, credentialId, {
        frequency: 'recurring',
        status: 'paused',
        windowFrom: new Date(now.getTime() + 10 * HOUR),
      }),
      {
        status: 'pending',
        attempt: 2,
        nextAttemptAt: new Date(now.getTime() - 1),
      },
    );
    const mark = await world.outboxMark();

    const { created, retried } = await useCase.execute(tick(now));

    expect([created, retried.map((r) => r.id)]).toEqual([[], [due.id]]);
    expect((await world.runRow(due.id)).nextAttemptAt).toBeNull();
    expect((await world.runRow(waiting.id)).nextAttemptAt).not.toBeNull();
    expect((await world.runRow(paused.id)).nextAttemptAt).not.toBeNull();
    expect((await world.outboxSince(mark)).map((m) => ({ topic: m.topic, key: m.key, payload: m.payload }))).toEqual([
      {
        topic: world.topics.planRuns,
        key: due.exportId,
        payload: { version: 1, runId: due.id, exportId: due.exportId, attempt: 3 },
      },
    ]);
    expect((await useCase.execute(tick(now))).retried).toEqual([]);
  });

  it("emits the tasks whose retry is due, of runs still at the task's attempt and phase, with their task command", async () => {
    const now = new Date();
    const exportRow = await world.export(accountId, credentialId, {
      frequency: 'recurring',
      windowFrom: new Date(now.getTime() + 10 * HOUR),
    });
    const run = await world.run(exportRow, { status: 'running', phase: 'write' });
    const due = await world.task(run, {
      kind: 'write',
      seq: 1,
      taskAttempt: 2,
      nextAttemptAt: new Date(now.getTime() - 1),
    });
    const notDue = await world.task(run, {
      kind: 'write',
      seq: 2,
      taskAttempt: 2,
      nextAttemptAt: new Date(now.getTime() + 60_000),
    });
    const otherPhase = await world.task(run, {
      kind: 'extract',
      seq: 0,
      taskAttempt: 2,
      nextAttemptAt: new Date(now.getTime() - 1),
    });
    const mark = await world.outboxMark();

    const { retriedTasks } = await useCase.execute(tick(now));

    expect(retriedTasks.map((t) => t.id)).toEqual([due.id]);
    expect((await world.taskRow(due.id)).nextAttemptAt).toBeNull();
    expect((await world.taskRow(notDue.id)).nextAttemptAt).not.toBeNull();
    expect((await world.taskRow(otherPhase.id)).nextAttemptAt).not.toBeNull();
    expect((await world.outboxSince(mark)).map((m) => ({ topic: m.topic, key: m.key, payload: m.payload }))).toEqual([
      {
        topic: world.topics.writeTasks,
        key: `${run.id}#1`,
        payload: { version: 1, runId: run.id, attempt: 1, taskId: due.id, kind: 'write', taskAttempt: 2 },
      },
    ]);
  });

  it('creates at most `limit` runs a call, the rest at the next', async () => {
    const now = new Date();
    const exports = [];
    for (let i = 0; i < 3; i++)
      exports.push(
        await world.export(accountId, credentialId, {
          windowFrom: new Date(now.getTime() - 2 * HOUR),
          windowTo: new Date(now.getTime() - HOUR + i),
        }),
      );
    expect((await useCase.execute(tick(now, 2))).created.map((r) => r.exportId)).toEqual(
      exports.slice(0, 2).map((e) => e.id),
    );
    expect((await useCase.execute(tick(now, 2))).created.map((r) => r.exportId)).toEqual([exports[2].id]);
  });
});
