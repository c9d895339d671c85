import { DataSource } from 'typeorm';
import { dataSourceOptions, OutboxRepository } from '@bulk-export/persistence';
import {
  api,
  createTestDatabase,
  gcs,
  kcatConsumeAll,
  makeServiceKey,
  TestSystem,
  waitFor,
} from '@bulk-export/testing';
import { createExport } from './support/exports';

/**
 * The outbox does not grow forever: published rows older than OUTBOX_RETENTION_MS are
 * deleted by the relay, in batches; unpublished rows are never deleted.
 */
describe('outbox retention', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await TestSystem.start({ OUTBOX_RETENTION_MS: '1000' }, ['request-api']);
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('deletes only published rows older than the cut-off, a batch at a time', async () => {
    // A database of its own: no relay deletes anything behind the test's back.
    const database = await createTestDatabase();
    const db = await new DataSource(dataSourceOptions(database.url)).initialize();
    try {
      const insert = (publishedAt: string, n: number) =>
        db.query(
          `INSERT INTO outbox (topic, key, payload, created_at, published_at) SELECT 't', NULL, '{}'::jsonb, now() - interval '2 days', ${publishedAt} FROM generate_series(1, $1)`,
          [n],
        );
      await insert(`now() - interval '1 day'`, 5);
      await insert('now()', 2);
      await insert('NULL', 1);
      const outbox = new OutboxRepository(db);
      const cutoff = new Date(Date.now() - 60_000);
      const counts: number[] = [];
      for (let deleted = -1; deleted !== 0;) counts.push((deleted = await outbox.deletePublished(cutoff, 2)));
      expect(counts).toEqual([2, 2, 1, 0]);
      const left: { published: boolean }[] = await db.query(
        `SELECT published_at IS NOT NULL AS published FROM outbox ORDER BY id`,
      );
      expect(left).toEqual([{ published: true }, { published: true }, { published: false }]);
    } finally {
      await db.destroy();
      await database.drop();
    }
  });

  it("the relay deletes a service's published rows once they are older than the retention", async () => {
    const account = await system.createAccount();
    const bucket = await gcs.createBucket();
    const saved = await api<{ id: string }>(system.api, 'POST', '/v1/credentials/gcp', {
      apiKey: account.apiKey,
      body: { serviceKey: makeServiceKey(), bucket },
    });
    const id = await createExport(system, account, {
      credentialId: saved.body.id,
      type: 'all_events',
      frequency: 'recurring',
      intervalHours: 24,
      format: 'json',
    });
    const rowsOf = async (): Promise<{ published_at: Date | null }[]> =>
      system.db.query(`SELECT published_at FROM outbox WHERE key = $1`, [id]);
    // Published (the event is on Kafka) …
    await waitFor('the export event on Kafka', async () => {
      const events = (await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.events`)).map(
        (m) => JSON.parse(m.value) as { exportId?: string },
      );
      return events.some((e) => e.exportId === id) || undefined;
    });
    // … then deleted by the relay; never while unpublished.
    const seen: { published_at: Date | null }[][] = [];
    await waitFor(
      'the published row deleted',
      async () => {
        const rows = await rowsOf();
        seen.push(rows);
        return rows.length === 0 || undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    for (const rows of seen) for (const row of rows) expect(row.published_at).not.toBeNull();
  });
});
