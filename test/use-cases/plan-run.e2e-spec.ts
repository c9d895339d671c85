import { ExtractSpec } from '@bulk-export/domain';
import { AccountFixture, createTopic, TestWorld } from '@bulk-export/testing';
import { PlanRunUseCase } from '../../apps/extractor/src/plan-run.use-case';
import { produceInWindow } from '../support/exports';
import { events, Workers } from './support/workers';

/**
 * PlanRunUseCase in-process against Postgres and Kafka: a run's attempt is claimed, its
 * window bounded by offsets on each partition, recorded, and fanned out into extract tasks
 * with their commands; a retry plans exactly the offsets the first attempt recorded; an
 * empty window goes straight to its finish; stale and repeated commands change nothing.
 */
describe('PlanRunUseCase', () => {
  let world: TestWorld;
  let workers: Workers;
  let useCase: PlanRunUseCase;
  let owner: AccountFixture;
  let credentialId: string;
  const PER_TASK = 1000; // the smallest the setting takes

  beforeAll(async () => {
    world = await TestWorld.open({ EXTRACT_TASK_MAX_OFFSETS: String(PER_TASK) });
    workers = await Workers.open(world);
    const { runs, tasks, config, logger, metrics } = world;
    useCase = new PlanRunUseCase(runs, tasks, workers.lifecycle, workers.kafka, config, logger, metrics);
    owner = await world.account();
    credentialId = (await world.credential(owner.account.id)).credential.id;
    await createTopic({ topic: owner.eventsTopic, numPartitions: 2 });
  });

  afterAll(async () => {
    await workers?.close();
    await world?.close();
  });

  /** A one-time export over exactly the window in which `values` were produced, and its pending run. */
  async function runOver(values: string[]) {
    const { from, to } = await produceInWindow(owner.eventsTopic, values);
    const exportRow = await world.export(owner.account.id, credentialId, {
      windowFrom: new Date(from),
      windowTo: new Date(to),
    });
    return { exportRow, run: await world.run(exportRow) };
  }

  it('records the window’s offsets and fans them out into extract tasks of at most EXTRACT_TASK_MAX_OFFSETS, with their commands', async () => {
    const before = await workers.kafka.admin.fetchTopicOffsets(owner.eventsTopic);
    const { exportRow, run } = await runOver(events(2500));
    const after = await workers.kafka.admin.fetchTopicOffsets(owner.eventsTopic);
    const mark = await world.outboxMark();

    await useCase.execute({ runId: run.id, attempt: 1 });

    const planned = await world.runRow(run.id);
    expect(planned).toMatchObject({ status: 'running', phase: 'extract', attempt: 1, claim: expect.any(String) });
    // The recorded offsets are exactly what the window added to each partition.
    const expected = Object.fromEntries(
      after.map((p) => [
        String(p.partition),
        { start: before.find((b) => b.partition === p.partition)?.high, end: p.high },
      ]),
    );
    expect(planned.offsets).toEqual(expected);
    const tasks = await world.tasksOf(run.id, 'extract');
    const covered = tasks.flatMap((t) => (t.spec as ExtractSpec).ranges);
    const sizes = covered.map((r) => Number(r.end) - Number(r.start));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(2500);
    expect(tasks.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(PER_TASK);
    expect(tasks.every((t) => t.status === 'pending' && t.taskAttempt === 1)).toBe(true);
    // One command per task, on the extract tasks' topic, and the export's running event.
    const out = await world.outboxSince(mark);
    expect(
      out
        .filter((m) => m.topic === world.topics.extractTasks)
        .map((m) => (m.payload as { taskId: string }).taskId)
        .sort(),
    ).toEqual(tasks.map((t) => t.id).sort());
    // The run's status, and the one-time export's own (no runId).
    expect(out.filter((m) => m.topic === world.topics.exportEvents).map((m) => m.payload)).toEqual([
      expect.objectContaining({ type: 'export-status', exportId: exportRow.id, runId: run.id, status: 'running' }),
      expect.not.objectContaining({ runId: expect.anything() }),
    ]);
    expect(out.filter((m) => m.topic === world.topics.exportEvents)[1].payload).toMatchObject({
      exportId: exportRow.id,
      status: 'running',
    });

    // The same command again (redelivered) plans nothing more.
    const again = await world.outboxMark();
    await useCase.execute({ runId: run.id, attempt: 1 });
    expect(await world.outboxSince(again)).toEqual([]);
    expect((await world.tasksOf(run.id, 'extract')).map((t) => t.id)).toEqual(tasks.map((t) => t.id));
  });

  it('plans a retry from the offsets the first attempt recorded, not from the clock', async () => {
    const { run } = await runOver(events(6, 2, 'retry'));
    await useCase.execute({ runId: run.id, attempt: 1 });
    const first = await world.runRow(run.id);
    // The attempt failed after planning; the retry's command comes for attempt 2.
    await world.db.query(
      `UPDATE export_runs SET status = 'pending', attempt = 2, claim = NULL, phase = NULL WHERE id = $1`,
      [run.id],
    );
    // Events produced after the window do not move the retry's offsets.
    await produceInWindow(owner.eventsTopic, events(3, 2, 'late'));

    await useCase.execute({ runId: run.id, attempt: 2 });

    const retried = await world.runRow(run.id);
    expect(retried).toMatchObject({ status: 'running', phase: 'extract', attempt: 2 });
    expect(retried.offsets).toEqual(first.offsets);
    const ranges = (await world.tasksOf(run.id, 'extract', 2)).flatMap((t) => (t.spec as ExtractSpec).ranges);
    expect(ranges.reduce((n, r) => n + Number(r.end) - Number(r.start), 0)).toBe(6);
  });

  it('sends the window of a topic that does not exist (nothing was captured) straight to its finish task', async () => {
    // An account that never sent an event has no topic. (An existing topic's empty window still gets an extract
    // task: its empty ranges are probed for messages stamped out of order.)
    const quiet = await world.account();
    const quietCredential = (await world.credential(quiet.account.id)).credential.id;
    const start = Date.now() + 1;
    const exportRow = await world.export(quiet.account.id, quietCredential, {
      windowFrom: new Date(start),
      windowTo: new Date(start + 1),
    });
    const run = await world.run(exportRow);

    await useCase.execute({ runId: run.id, attempt: 1 });

    expect(await world.tasksOf(run.id, 'extract')).toEqual([]);
    expect(await world.runRow(run.id)).toMatchObject({ status: 'running', phase: 'finish' });
    expect(await world.tasksOf(run.id, 'finish')).toHaveLength(1);
  });

  it('ignores a command for another attempt, and one for a run already done', async () => {
    const { run } = await runOver(events(2, 1, 'stale'));
    const mark = await world.outboxMark();
    await useCase.execute({ runId: run.id, attempt: 2 });
    expect(await world.runRow(run.id)).toMatchObject({ status: 'pending', phase: null, claim: null });

    const done = await world.run(await world.exportRow(run.exportId), {
      windowStart: new Date(0),
      windowEnd: new Date(1),
      status: 'done',
    });
    await useCase.execute({ runId: done.id, attempt: 1 });
    expect(await world.runRow(done.id)).toMatchObject({ status: 'done' });
    expect(await world.outboxSince(mark)).toEqual([]);
  });
});
