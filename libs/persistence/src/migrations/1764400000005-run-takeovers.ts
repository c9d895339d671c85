import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How many times the current attempt of a run was taken over from a worker that held it
 * (its command came again: the worker died, or lost its partition): a command that kills
 * every worker that takes it ends its attempt instead of looping for ever.
 */
export class RunTakeovers1764400000005 implements MigrationInterface {
  name = 'RunTakeovers1764400000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE export_runs ADD COLUMN takeovers int NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE export_runs DROP COLUMN takeovers`);
  }
}
