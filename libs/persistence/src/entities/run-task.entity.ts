import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { TaskKind, TaskSpec, TaskStatus } from '@bulk-export/domain';

/**
 * One task of a run's attempt (see libs/domain run-tasks): a piece of the extraction, one
 * file group to write, or the run's finish. Any replica takes it through its command;
 * claims, takeovers and retries hold per task as they do per run.
 */
@Entity('run_tasks')
@Index(['runId', 'attempt', 'kind', 'seq'], { unique: true })
export class RunTask {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'run_id' }) runId: string;
  /** The run's attempt the task belongs to: a task of an older attempt is never taken again. */
  @Column('int') attempt: number;
  @Column('text') kind: TaskKind;
  /** Its place among the attempt's tasks of its kind. */
  @Column('int') seq: number;
  @Column('jsonb') spec: TaskSpec;
  @Column('text') status: TaskStatus;
  /** The task's own tries: a failed try is retried with backoff, the last one fails the run's attempt. */
  @Column('int', { name: 'task_attempt', default: 1 }) taskAttempt: number;
  /** The worker that holds the task: replaced on each claim, so a worker that lost it can finish nothing. */
  @Column('text', { nullable: true }) claim: string | null;
  @Column('int', { default: 0 }) takeovers: number;
  /** Who took it last (host and process), to see how a run's work was shared. */
  @Column('text', { nullable: true }) worker: string | null;
  @Column('jsonb', { nullable: true }) result: object | null;
  @Column('text', { nullable: true }) error: string | null;
  @Column('timestamptz', { name: 'next_attempt_at', nullable: true }) nextAttemptAt: Date | null;
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt: Date | null;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
