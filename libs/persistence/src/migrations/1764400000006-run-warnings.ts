import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a run that did not fail tells its customer: e.g. messages of its window that retention deleted before they were
 * read.
 */
export class RunWarnings1764400000006 implements MigrationInterface {
  name = 'RunWarnings1764400000006';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE export_runs ADD COLUMN warning text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE export_runs DROP COLUMN warning`);
  }
}
