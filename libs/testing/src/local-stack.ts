import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { runMigrations } from '@bulk-export/persistence';
import { waitFor } from './wait-for';

/** Where the local stack (scripts/stack.sh) listens; tests may point elsewhere by environment. */
export const STACK = {
  kafkaBrokers: process.env.TEST_KAFKA_BROKERS ?? 'localhost:9092',
  postgresAdminUrl:
    process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://bulk_export:bulk_export@127.0.0.1:5432/bulk_export',
  gcsEndpoint: process.env.TEST_GCS_ENDPOINT ?? 'http://localhost:4443',
};

export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

/** A fresh database with the schema migrated, for one test file; dropped by `drop()`. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `bx_test_${uniqueSuffix()}`;
  const admin = new Client({ connectionString: STACK.postgresAdminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = STACK.postgresAdminUrl.replace(/\/[^/]+$/, `/${name}`);
  await runMigrations(url);
  return {
    url,
    drop: async () => {
      const c = new Client({ connectionString: STACK.postgresAdminUrl });
      await c.connect();
      try {
        // FORCE ends our own connections, but not one of the server's (an autovacuum worker on the fresh
        // database): that refusal (insufficient_privilege) lasts only until the worker is done.
        await waitFor(
          `database ${name} dropped`,
          async () => {
            try {
              await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
              return true;
            } catch (e) {
              if ((e as { code?: string }).code === '42501') return false;
              throw e;
            }
          },
          { timeoutMs: 30_000, intervalMs: 200 },
        );
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * The settings that give one test file a world of its own on the shared stack: its database,
 * topics (by prefix), staging folder under `work`, and credentials key.
 */
export function isolatedSettings(databaseUrl: string, suffix: string, work: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: STACK.kafkaBrokers,
    TOPIC_PREFIX: `t${suffix}.`,
    EVENTS_TOPIC_TEMPLATE: `t${suffix}.events.{accountId}`,
    PROFILES_TOPIC_TEMPLATE: `t${suffix}.profiles.{accountId}`,
    GCS_API_ENDPOINT: STACK.gcsEndpoint,
    CREDENTIALS_KEKS: `test:${randomBytes(32).toString('base64')}`,
    STAGING_DIR: join(work, 'staging'),
  };
}
