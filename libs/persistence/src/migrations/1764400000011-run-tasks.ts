import { MigrationInterface, QueryRunner } from 'typeorm';

/** A run fans out into tasks that any replica takes (run_tasks); the run says which phase its attempt is in. */
export class RunTasks1764400000011 implements MigrationInterface {
  name = 'RunTasks1764400000011';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE run_tasks (
      id text PRIMARY KEY,
      run_id text NOT NULL REFERENCES export_runs(id) ON DELETE CASCADE,
      attempt int NOT NULL,
      kind text NOT NULL CHECK (kind IN ('extract', 'write', 'finish')),
      seq int NOT NULL,
      spec jsonb NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'running', 'done')),
      task_attempt int NOT NULL DEFAULT 1,
      claim text,
      takeovers int NOT NULL DEFAULT 0,
      worker text,
      result jsonb,
      error text,
      next_attempt_at timestamptz,
      started_at timestamptz,
      finished_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE UNIQUE INDEX run_tasks_run_attempt_kind_seq ON run_tasks (run_id, attempt, kind, seq)`);
    await q.query(`CREATE INDEX run_tasks_retry_due ON run_tasks (next_attempt_at) WHERE next_attempt_at IS NOT NULL`);
    await q.query(`ALTER TABLE export_runs ADD COLUMN phase text CHECK (phase IN ('extract', 'write', 'finish'))`);
    await q.query(`ALTER TABLE export_runs DROP COLUMN staged_claim`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE export_runs ADD COLUMN staged_claim text`);
    await q.query(`ALTER TABLE export_runs DROP COLUMN phase`);
    await q.query(`DROP TABLE run_tasks`);
  }
}
