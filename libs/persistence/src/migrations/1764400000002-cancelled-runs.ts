import { MigrationInterface, QueryRunner } from 'typeorm';

/** Runs can end `cancelled`: the runs of a stopped export that had not started. */
export class CancelledRuns1764400000002 implements MigrationInterface {
  name = 'CancelledRuns1764400000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE export_runs DROP CONSTRAINT export_runs_status_check`);
    await q.query(
      `ALTER TABLE export_runs ADD CONSTRAINT export_runs_status_check CHECK (status IN ('pending', 'running', 'done', 'failed', 'cancelled'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE export_runs SET status = 'failed' WHERE status = 'cancelled'`);
    await q.query(`ALTER TABLE export_runs DROP CONSTRAINT export_runs_status_check`);
    await q.query(
      `ALTER TABLE export_runs ADD CONSTRAINT export_runs_status_check CHECK (status IN ('pending', 'running', 'done', 'failed'))`,
    );
  }
}
