import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which worker holds a run: `claim` is set by each worker that takes the run (extraction or
 * upload), `staged_claim` by the extraction whose staging the upload reads. A worker's
 * writes count only while the run still carries its claim.
 */
export class RunClaims1764400000004 implements MigrationInterface {
  name = 'RunClaims1764400000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE export_runs ADD COLUMN claim text, ADD COLUMN staged_claim text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE export_runs DROP COLUMN claim, DROP COLUMN staged_claim`);
  }
}
