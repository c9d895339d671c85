import { InvalidConfiguration, loadConfig } from '@bulk-export/config';
import { runMigrations } from '../data-source';

/** `npm run migrate`: brings the database schema up to date. */
async function main(): Promise<void> {
  const config = loadConfig(process.env, { defaults: { HTTP_PORT: 0 } });
  const applied = await runMigrations(config.DATABASE_URL);
  console.log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(e instanceof InvalidConfiguration ? 78 : 1); // EX_CONFIG, as the services
});
