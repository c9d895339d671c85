import { MigrationInterface, QueryRunner } from 'typeorm';

/** The relay deletes published outbox rows by age: an index on when they were published. */
export class OutboxPublishedIndex1764400000003 implements MigrationInterface {
  name = 'OutboxPublishedIndex1764400000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS outbox_published`);
  }
}
