import { DataSource, DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/**
 * How every service (and the migration command) reaches Postgres. Schema changes only by
 * migration. `connectTimeoutMs` bounds the wait for a connection, so that with Postgres
 * down a request fails quickly (a 503) rather than hanging.
 */
export function dataSourceOptions(databaseUrl: string, connectTimeoutMs = 10_000): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsTransactionMode: 'all',
    extra: { max: 10, application_name: 'bulk-export', connectionTimeoutMillis: connectTimeoutMs },
  };
}

/** Applies the pending migrations; returns the names applied. */
export async function runMigrations(databaseUrl: string): Promise<string[]> {
  const dataSource = new DataSource(dataSourceOptions(databaseUrl));
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations();
    return applied.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}
