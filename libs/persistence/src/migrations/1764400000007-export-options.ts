import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An export's folder, file size, XML layout and profile mode, and the `paused` status.
 * Exports made before keep what they wrote: the typed XML layout and full profile snapshots.
 */
export class ExportOptions1764400000007 implements MigrationInterface {
  name = 'ExportOptions1764400000007';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE exports
      ADD COLUMN prefix text NOT NULL DEFAULT '',
      ADD COLUMN max_file_mb int CHECK (max_file_mb BETWEEN 1 AND 100),
      ADD COLUMN xml_layout text NOT NULL DEFAULT 'documented' CHECK (xml_layout IN ('documented', 'typed')),
      ADD COLUMN profile_mode text NOT NULL DEFAULT 'incremental' CHECK (profile_mode IN ('incremental', 'snapshot')),
      ADD COLUMN paused_at timestamptz`);
    await q.query(`UPDATE exports SET xml_layout = 'typed' WHERE format = 'xml'`);
    await q.query(`UPDATE exports SET profile_mode = 'snapshot' WHERE type = 'all_profiles'`);
    await q.query(`ALTER TABLE exports DROP CONSTRAINT exports_status_check`);
    await q.query(
      `ALTER TABLE exports ADD CONSTRAINT exports_status_check CHECK (status IN ('pending', 'running', 'done', 'failed', 'stopped', 'paused'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `UPDATE exports SET status = 'stopped', stopped_at = coalesce(paused_at, now()) WHERE status = 'paused'`,
    );
    await q.query(`ALTER TABLE exports DROP CONSTRAINT exports_status_check`);
    await q.query(
      `ALTER TABLE exports ADD CONSTRAINT exports_status_check CHECK (status IN ('pending', 'running', 'done', 'failed', 'stopped'))`,
    );
    await q.query(
      `ALTER TABLE exports DROP COLUMN prefix, DROP COLUMN max_file_mb, DROP COLUMN xml_layout, DROP COLUMN profile_mode, DROP COLUMN paused_at`,
    );
  }
}
