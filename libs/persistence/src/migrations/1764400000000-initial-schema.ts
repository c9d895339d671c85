import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764400000000 implements MigrationInterface {
  name = 'InitialSchema1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE accounts (
        id text PRIMARY KEY,
        name text NOT NULL,
        database_id text NOT NULL UNIQUE CHECK (database_id ~ '^[A-Za-z0-9_]{1,64}$'),
        time_zone text NOT NULL DEFAULT 'UTC',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name text NOT NULL,
        key_hash text NOT NULL UNIQUE,
        prefix text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX api_keys_account ON api_keys (account_id)`);
    await q.query(`
      CREATE TABLE gcs_credentials (
        id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        bucket text NOT NULL,
        client_email text NOT NULL,
        project_id text NOT NULL,
        kek_id text NOT NULL,
        wrapped_key bytea NOT NULL,
        ciphertext bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    await q.query(`CREATE INDEX gcs_credentials_account ON gcs_credentials (account_id)`);
    await q.query(`
      CREATE TABLE exports (
        id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        credential_id text NOT NULL REFERENCES gcs_credentials(id),
        partner text NOT NULL,
        type text NOT NULL CHECK (type IN ('all_events', 'select_events', 'all_profiles')),
        event_names jsonb,
        frequency text NOT NULL CHECK (frequency IN ('one_time', 'recurring')),
        interval_hours int,
        window_from timestamptz NOT NULL,
        window_to timestamptz,
        format text NOT NULL CHECK (format IN ('json', 'xml', 'csv', 'parquet')),
        compression text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed', 'stopped')),
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX exports_account_created ON exports (account_id, created_at DESC)`);
    await q.query(`CREATE INDEX exports_active ON exports (status) WHERE status IN ('pending', 'running')`);
    await q.query(`
      CREATE TABLE export_runs (
        id text PRIMARY KEY,
        export_id text NOT NULL REFERENCES exports(id) ON DELETE CASCADE,
        window_start timestamptz NOT NULL,
        window_end timestamptz NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
        attempt int NOT NULL DEFAULT 1,
        rows_extracted bigint NOT NULL DEFAULT 0,
        rows_rejected bigint NOT NULL DEFAULT 0,
        rows_written bigint NOT NULL DEFAULT 0,
        bytes_written bigint NOT NULL DEFAULT 0,
        files_count int NOT NULL DEFAULT 0,
        offsets jsonb,
        error text,
        next_attempt_at timestamptz,
        started_at timestamptz,
        finished_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (window_start < window_end),
        UNIQUE (export_id, window_start)
      )`);
    await q.query(
      `CREATE INDEX export_runs_retry_due ON export_runs (next_attempt_at) WHERE next_attempt_at IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE export_files (
        id text PRIMARY KEY,
        run_id text NOT NULL REFERENCES export_runs(id) ON DELETE CASCADE,
        object_name text NOT NULL,
        event_name text NOT NULL,
        day text NOT NULL,
        file_index int NOT NULL,
        rows bigint NOT NULL,
        bytes bigint NOT NULL,
        crc32c text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (run_id, object_name)
      )`);
    await q.query(`
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        topic text NOT NULL,
        key text,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'outbox',
      'export_files',
      'export_runs',
      'exports',
      'gcs_credentials',
      'api_keys',
      'accounts',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
