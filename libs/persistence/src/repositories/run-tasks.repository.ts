import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, Not } from 'typeorm';
import {
  ExtractResult,
  ExtractSpec,
  newId,
  PartitionRanges,
  nextPhase,
  planned,
  runFiles,
  takeoversWithin,
  TaskKind,
  TaskSpec,
  WriteResult,
} from '@bulk-export/domain';
import { ExportRun, RunTask } from '../entities';
import { OutboxEntry, OutboxRepository } from './outbox.repository';
import { applyToRun, completeRun, contextOf, RunContext, RunHolder } from './run-writes';
import { RunsRepository } from './runs.repository';

/** A task with its run, export and account. */
export interface TaskContext extends RunContext {
  task: RunTask;
}

/** A worker's hold on a task: the task's try and the claim it got from start. */
export interface TaskHolder {
  taskAttempt: number;
  claim: string;
}

/** The commands of tasks just created (the caller knows the topics). */
export type TaskCommands = (tasks: RunTask[]) => OutboxEntry[];

/** How a failed try of a task ended: retried later, or the task is out of tries (its run's attempt fails). */
export type TaskFailure = 'retried' | 'final' | 'stale';

const WORKER_OF: Record<TaskKind, string> = { extract: 'extractor', write: 'uploader', finish: 'uploader' };

/**
 * The tasks of runs' attempts (libs/domain run-tasks). Every change is conditional on the
 * run's attempt and phase and on the task's try and claim, so a stale worker or a
 * duplicated command changes nothing; a phase's last task creates the next phase's tasks
 * and their commands in the same transaction, under the run's lock.
 */
@Injectable()
export class RunTasksRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxRepository,
    private readonly runs: RunsRepository,
  ) {}

  /**
   * Records the attempt's plan — the offsets it reads, what it warns about so far, its
   * extract tasks — and writes their commands. False when `holder` no longer holds the run
   * or it was planned already.
   */
  async plan(
    runId: string,
    holder: RunHolder,
    plan: { offsets: PartitionRanges; warning: string | null; extracts: ExtractSpec[] },
    commands: TaskCommands,
  ): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const run = await this.runs.lockRun(manager, runId, holder.attempt, ['running'], holder.claim);
      if (!run || run.phase) return false;
      await applyToRun(manager, run, planned(plan.offsets, plan.warning));
      const tasks = await this.insert(manager, run, 'extract', plan.extracts);
      await this.outbox.add(manager, commands(tasks));
      if (tasks.length === 0) await this.advance(manager, run, commands);
      return true;
    });
  }

  /**
   * Claims try `taskAttempt` of a task. Null when its command is stale: an older try, a task
   * done or waiting for its retry, a run no longer at the task's attempt and phase. A
   * redelivered command takes the task over from the worker that held it (counted; past
   * `maxTakeovers` this throws TakenOverTooOften and claims nothing).
   */
  async start(
    taskId: string,
    taskAttempt: number,
    worker: string,
    maxTakeovers = Number.POSITIVE_INFINITY,
  ): Promise<TaskContext | null> {
    return this.dataSource.transaction(async (manager) => {
      const task = await manager
        .createQueryBuilder(RunTask, 't')
        .where({ id: taskId, taskAttempt, status: Not('done') })
        .setLock('pessimistic_write')
        .getOne();
      if (!task || task.nextAttemptAt) return null;
      const run = await manager.findOneBy(ExportRun, { id: task.runId });
      if (!run || run.attempt !== task.attempt || run.status !== 'running' || run.phase !== task.kind) return null;
      const takeovers = takeoversWithin(task, maxTakeovers, WORKER_OF[task.kind]);
      // The error of a failed try stays: it says why the task was tried again.
      Object.assign(task, { status: 'running', claim: newId(), takeovers, worker, startedAt: new Date() });
      await manager.update(RunTask, task.id, {
        status: 'running',
        claim: task.claim,
        takeovers,
        worker,
        startedAt: task.startedAt,
      });
      return { task, ...(await contextOf(manager, run)) };
    });
  }

  /**
   * Records what a task did. The phase's last task makes the next phase's tasks (an
   * attempt's extraction, then its writing) and writes their commands. False when `holder`
   * no longer holds the task or the run moved on.
   */
  async complete(
    taskId: string,
    holder: TaskHolder,
    result: ExtractResult | WriteResult,
    commands: TaskCommands,
  ): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const found = await this.lockHeld(manager, taskId, holder);
      if (!found) return false;
      const { task, run } = found;
      await manager.update(RunTask, task.id, { status: 'done', result, finishedAt: new Date(), nextAttemptAt: null });
      // The run's counters grow as tasks finish, for the API to show its progress.
      if (task.kind === 'extract') {
        const r = result as ExtractResult;
        await manager.increment(ExportRun, { id: run.id }, 'rowsExtracted', r.rows);
        await manager.increment(ExportRun, { id: run.id }, 'rowsRejected', r.rejected);
      } else {
        const files = (result as WriteResult).files;
        await manager.increment(
          ExportRun,
          { id: run.id },
          'rowsWritten',
          files.reduce((n, f) => n + f.rows, 0),
        );
        await manager.increment(
          ExportRun,
          { id: run.id },
          'bytesWritten',
          files.reduce((n, f) => n + f.bytes, 0),
        );
        await manager.increment(ExportRun, { id: run.id }, 'filesCount', files.length);
      }
      const left = await manager.countBy(RunTask, {
        runId: run.id,
        attempt: run.attempt,
        kind: task.kind,
        status: Not('done'),
      });
      if (left === 0) await this.advance(manager, run, commands);
      return true;
    });
  }

  /** The files the write tasks of the run's current attempt uploaded, for its manifest. */
  async filesOf(run: ExportRun): Promise<ReturnType<typeof runFiles>> {
    const written = await this.dataSource
      .getRepository(RunTask)
      .findBy({ runId: run.id, attempt: run.attempt, kind: 'write', status: 'done' });
    return runFiles(written.map((t) => t.result as WriteResult));
  }

  /**
   * The finish task's last step: records the run's files and marks the run done (completeRun),
   * with its messages. False when `holder` no longer holds the task.
   */
  async finishRun(
    taskId: string,
    holder: TaskHolder,
    files: ReturnType<typeof runFiles>,
    messages: (ctx: RunContext) => OutboxEntry[],
  ): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const found = await this.lockHeld(manager, taskId, holder);
      if (!found) return false;
      await manager.update(RunTask, taskId, {
        status: 'done',
        result: { files: files.length },
        finishedAt: new Date(),
      });
      const ctx = await completeRun(manager, found.run, files);
      await this.outbox.add(manager, messages(ctx));
      return true;
    });
  }

  /**
   * Records a failed try of a task. With `retryAt`, the task waits for its next try (the
   * scheduler emits it then): 'retried'. Without, the task is out of tries: 'final', and the
   * caller fails the run's attempt. A holder without a claim fails the try whoever holds it
   * (its command was given up). 'stale' when the try or the run moved on.
   */
  async fail(
    taskId: string,
    holder: TaskHolder | Pick<TaskHolder, 'taskAttempt'>,
    error: string,
    retryAt: Date | null,
  ): Promise<{ outcome: TaskFailure; task?: RunTask }> {
    return this.dataSource.transaction(async (manager) => {
      const found = await this.lockHeld(manager, taskId, holder);
      if (!found) return { outcome: 'stale' };
      const { task } = found;
      const patch: Partial<RunTask> = retryAt
        ? {
            status: 'pending',
            taskAttempt: task.taskAttempt + 1,
            nextAttemptAt: retryAt,
            claim: null,
            takeovers: 0,
            error,
          }
        : { claim: null, error };
      Object.assign(task, patch);
      await manager.update(RunTask, task.id, patch);
      return { outcome: retryAt ? 'retried' : 'final', task };
    });
  }

  /** Tasks whose retry is due, of runs still at their attempt: moves each to its next try and writes its command. */
  async emitDueRetries(now: Date, limit: number, commands: TaskCommands): Promise<RunTask[]> {
    return this.dataSource.transaction(async (manager) => {
      const due = await manager
        .createQueryBuilder(RunTask, 't')
        .where(`t.status = 'pending' AND t.next_attempt_at <= :now`, { now })
        .andWhere(
          `EXISTS (SELECT 1 FROM export_runs r WHERE r.id = t.run_id AND r.attempt = t.attempt AND r.status = 'running' AND r.phase = t.kind)`,
        )
        .orderBy('t.next_attempt_at', 'ASC')
        .limit(limit)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      for (const task of due) {
        task.nextAttemptAt = null;
        await manager.update(RunTask, task.id, { nextAttemptAt: null });
      }
      await this.outbox.add(manager, commands(due));
      return due;
    });
  }

  /** The offset ranges that finished extract tasks of the run's attempts before `attempt` read (and dead-lettered). */
  async extractedRanges(runId: string, attempt: number): Promise<{ partition: number; start: bigint; end: bigint }[]> {
    const done = await this.dataSource
      .getRepository(RunTask)
      .createQueryBuilder('t')
      .where(`t.run_id = :runId AND t.attempt < :attempt AND t.kind = 'extract' AND t.status = 'done'`, {
        runId,
        attempt,
      })
      .getMany();
    return done.flatMap((t) =>
      (t.spec as ExtractSpec).ranges.map((r) => ({
        partition: r.partition,
        start: BigInt(r.start),
        end: BigInt(r.end),
      })),
    );
  }

  /** The tasks of a run's attempt, to show how its work went. */
  async tasksOf(runId: string, attempt: number): Promise<RunTask[]> {
    return this.dataSource
      .getRepository(RunTask)
      .find({ where: { runId, attempt }, order: { kind: 'ASC', seq: 'ASC' } });
  }

  /**
   * The run's current phase is done: records what the run learnt and creates the next phase's tasks (nextPhase) with
   * their commands.
   */
  private async advance(manager: EntityManager, run: ExportRun, commands: TaskCommands): Promise<void> {
    if (!run.phase) return;
    const extracts =
      run.phase === 'extract'
        ? await manager.findBy(RunTask, { runId: run.id, attempt: run.attempt, kind: 'extract' })
        : [];
    const next = nextPhase(
      run.phase,
      run.warning,
      extracts.map((t) => ({ id: t.id, spec: t.spec as ExtractSpec, result: t.result as ExtractResult })),
    );
    if (!next) return;
    await applyToRun(manager, run, { ...next.run, phase: next.kind });
    const tasks = await this.insert(manager, run, next.kind, next.specs);
    await this.outbox.add(manager, commands(tasks));
  }

  private async insert(manager: EntityManager, run: ExportRun, kind: TaskKind, specs: TaskSpec[]): Promise<RunTask[]> {
    const tasks = specs.map((spec, seq) =>
      manager.create(RunTask, {
        id: newId(),
        runId: run.id,
        attempt: run.attempt,
        kind,
        seq,
        spec,
        status: 'pending',
        taskAttempt: 1,
        takeovers: 0,
      }),
    );
    // In batches: a big window has thousands of tasks, and a statement has at most 65,535 parameters.
    for (let i = 0; i < tasks.length; i += 1000) await manager.insert(RunTask, tasks.slice(i, i + 1000));
    return tasks;
  }

  /**
   * The task and its run, both locked (the run first: it serialises a phase's last tasks),
   * if the task is at `holder`'s try (and claim, when given), not done, and the run at the
   * task's attempt and phase.
   */
  private async lockHeld(
    manager: EntityManager,
    taskId: string,
    holder: Pick<TaskHolder, 'taskAttempt'> & { claim?: string },
  ): Promise<{ task: RunTask; run: ExportRun } | null> {
    const peek = await manager.findOneBy(RunTask, { id: taskId });
    if (!peek) return null;
    const run = await this.runs.lockRun(manager, peek.runId, peek.attempt, ['running']);
    if (!run || run.phase !== peek.kind) return null;
    const task = await manager
      .createQueryBuilder(RunTask, 't')
      .where({
        id: taskId,
        taskAttempt: holder.taskAttempt,
        status: Not('done'),
        ...(holder.claim === undefined ? {} : { claim: holder.claim }),
      })
      .setLock('pessimistic_write')
      .getOne();
    return task ? { task, run } : null;
  }
}
