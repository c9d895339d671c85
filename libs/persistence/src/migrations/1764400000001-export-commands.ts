import { MigrationInterface, QueryRunner } from 'typeorm';

/** Idempotency keys of exports created by Kafka command, and when a recurring export was stopped. */
export class ExportCommands1764400000001 implements MigrationInterface {
  name = 'ExportCommands1764400000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE exports ADD COLUMN idempotency_key text, ADD COLUMN stopped_at timestamptz`);
    await q.query(
      `CREATE UNIQUE INDEX exports_idempotency ON exports (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX exports_recurring_scheduled ON exports (id) WHERE frequency = 'recurring' AND status = 'pending'`,
    );
    await q.query(`CREATE INDEX export_runs_export_window ON export_runs (export_id, window_end DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS export_runs_export_window`);
    await q.query(`DROP INDEX IF EXISTS exports_recurring_scheduled`);
    await q.query(`DROP INDEX IF EXISTS exports_idempotency`);
    await q.query(`ALTER TABLE exports DROP COLUMN idempotency_key, DROP COLUMN stopped_at`);
  }
}
