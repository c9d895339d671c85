import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The scheduler → extractor topic is `export.plan-runs` (it was `export.windows`): commands
 * still waiting in the outbox go to the new name, which the extractors read.
 */
export class PlanRunsTopic1764400000012 implements MigrationInterface {
  name = 'PlanRunsTopic1764400000012';

  async up(q: QueryRunner): Promise<void> {
    await rename(q, 'export.windows', 'export.plan-runs');
  }

  async down(q: QueryRunner): Promise<void> {
    await rename(q, 'export.plan-runs', 'export.windows');
  }
}

/** Renames the topic of unpublished outbox rows, whatever TOPIC_PREFIX they carry. */
async function rename(q: QueryRunner, from: string, to: string): Promise<void> {
  await q.query(
    `UPDATE outbox SET topic = left(topic, length(topic) - length($1)) || $2 WHERE published_at IS NULL AND right(topic, length($1)) = $1`,
    [from, to],
  );
}
