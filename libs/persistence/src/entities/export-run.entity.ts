import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { PartitionRanges, RunStatus, TaskKind } from '@bulk-export/domain';
import { bigintAsNumber } from './columns';

/**
 * One run of an export: one window. The unique (export, window start) key makes "one run
 * per window" a fact of the database, whatever the timing of schedulers.
 */
@Entity('export_runs')
@Index(['exportId', 'windowStart'], { unique: true })
export class ExportRun {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'export_id' }) exportId: string;
  @Column('timestamptz', { name: 'window_start' }) windowStart: Date;
  @Column('timestamptz', { name: 'window_end' }) windowEnd: Date;
  @Column('text') status: RunStatus;
  /** Which attempt is current; messages of older attempts are ignored. */
  @Column('int') attempt: number;
  @Column('bigint', { name: 'rows_extracted', default: 0, transformer: bigintAsNumber }) rowsExtracted: number;
  @Column('bigint', { name: 'rows_rejected', default: 0, transformer: bigintAsNumber }) rowsRejected: number;
  @Column('bigint', { name: 'rows_written', default: 0, transformer: bigintAsNumber }) rowsWritten: number;
  @Column('bigint', { name: 'bytes_written', default: 0, transformer: bigintAsNumber }) bytesWritten: number;
  @Column('int', { name: 'files_count', default: 0 }) filesCount: number;
  @Column('jsonb', { nullable: true }) offsets: PartitionRanges | null;
  /**
   * The worker that holds the current attempt's planning (its tasks have claims of their own): each one that
   * takes the run sets a new claim, and the writes of a worker whose claim was replaced (a
   * consumer that lost its partition in a rebalance but kept working) are refused.
   */
  @Column('text', { nullable: true }) claim: string | null;
  /**
   * How many times the current attempt was taken over from a worker that held it (its
   * command came again because the worker died or lost its partition); 0 for a new attempt.
   */
  @Column('int', { default: 0 }) takeovers: number;
  /** Which tasks the current attempt is at (RunTask): null until its extraction is planned. */
  @Column('text', { nullable: true }) phase: TaskKind | null;
  @Column('text', { nullable: true }) error: string | null;
  /**
   * What the customer should know of a run that did not fail, e.g. messages of its window that retention deleted before
   * they were read.
   */
  @Column('text', { nullable: true }) warning: string | null;
  /** When a failed attempt is to be tried again; null when no retry is waiting. */
  @Column('timestamptz', { name: 'next_attempt_at', nullable: true }) nextAttemptAt: Date | null;
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt: Date | null;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
