import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';

/**
 * Every setting of every service, one schema. Field names are the environment variable
 * names, so an error message names exactly what the operator has to fix.
 * README.md ("Configuration") documents each one; keep the two in step.
 */
export class AppConfig {
  /** Port of the service's HTTP server (REST for request-api; health and metrics for all); 0 picks a free port. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  HTTP_PORT: number;

  /** PostgreSQL connection string, e.g. postgres://user:pass@host:5432/bulk_export. */
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// connection URL' })
  DATABASE_URL: string;

  /** Comma-separated Kafka bootstrap servers. */
  @IsString()
  @Matches(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, { message: 'KAFKA_BROKERS must be host:port[,host:port…]' })
  KAFKA_BROKERS: string = 'localhost:9092';

  /**
   * Prefix of the service's own topics and consumer groups; lets several deployments (or test runs) share a cluster.
   */
  @IsString()
  @Matches(/^[A-Za-z0-9._-]*$/, { message: 'TOPIC_PREFIX may hold only letters, digits, ".", "_" and "-"' })
  TOPIC_PREFIX: string = '';

  /**
   * Partitions of the service's own topics when this service has to create them. A run's
   * tasks go round the partitions: with a multiple of the replica count, each replica gets
   * an equal share (12 suits 1, 2, 3, 4, 6 or 12 replicas).
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  INTERNAL_TOPIC_PARTITIONS: number = 12;

  /**
   * An extract task reads at most this many offsets of one partition: a bigger range is cut
   * into equal pieces, each a task that any extractor takes (a profile export is one task).
   */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(1_000_000_000)
  EXTRACT_TASK_MAX_OFFSETS: number = 250_000;

  /** Extract tasks one extractor runs at once (each with DUCKDB_THREADS threads of DuckDB). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(64)
  EXTRACT_TASKS_AT_ONCE: number = 1;

  /** Write tasks (file groups) one uploader runs at once, each on one DuckDB thread. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(64)
  WRITE_TASKS_AT_ONCE: number = 2;

  /** Kafka consumer session timeout: how soon a crashed consumer's partitions move to another replica. */
  @Type(() => Number)
  @IsInt()
  @Min(6000)
  @Max(300_000)
  KAFKA_SESSION_TIMEOUT_MS: number = 30_000;

  /**
   * Failures in a row after which a command is dead-lettered as a poison message, provided
   * Postgres and Kafka answer (during an outage it is kept and tried again). With the
   * default backoff, 8 failures take about a minute.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  COMMAND_MAX_FAILURES: number = 8;

  /** First wait before a failed command is tried again; it doubles each time, up to 30 s. */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(60_000)
  COMMAND_RETRY_BASE_MS: number = 500;

  /**
   * Retries of kafkajs inside a command consumer (a lost coordinator, a broker away) before
   * it gives that consumer up; the service then opens a new one itself (see CONSUMER_STUCK_MINUTES).
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(30)
  KAFKA_CONSUMER_RETRIES: number = 10;

  /**
   * A command consumer that crashed reconnects inside the process, with backoff, for as long
   * as it takes; only one that has not recovered for this many minutes makes /health/live
   * fail, so that the orchestrator restarts the service.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1440)
  CONSUMER_STUCK_MINUTES: number = 10;

  /**
   * How long a service waits for a Postgres connection before the request fails: with
   * Postgres down, the REST API answers 503 within about this long instead of hanging.
   */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60_000)
  DATABASE_CONNECT_TIMEOUT_MS: number = 1500;

  /** Name of an account's events topic; `{accountId}` is replaced by the account's id. */
  @IsString()
  @Matches(/\{accountId\}/, { message: 'EVENTS_TOPIC_TEMPLATE must contain {accountId}' })
  EVENTS_TOPIC_TEMPLATE: string = 'events.{accountId}';

  /** Name of an account's compacted profiles topic; `{accountId}` is replaced by the account's id. */
  @IsString()
  @Matches(/\{accountId\}/, { message: 'PROFILES_TOPIC_TEMPLATE must contain {accountId}' })
  PROFILES_TOPIC_TEMPLATE: string = 'profiles.{accountId}';

  /** GCS API endpoint; set it for fake-gcs-server (e.g. http://localhost:4443), leave it unset for Google Cloud. */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true }, { message: 'GCS_API_ENDPOINT must be an http(s) URL' })
  GCS_API_ENDPOINT?: string;

  /**
   * Longest wait for an answer from GCS to one request; an upload that sent nothing for that long (however long its
   * file takes while it keeps sending), or got no answer after its last byte, is sent again.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  GCS_REQUEST_TIMEOUT_MS: number = 60_000;

  /**
   * Key-encryption keys for stored credentials: `id:base64key[,id:base64key…]`, each key 32 bytes.
   * The first one encrypts new credentials; the others still decrypt older ones (rotation).
   */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]+:[A-Za-z0-9+/=]+(,[A-Za-z0-9_-]+:[A-Za-z0-9+/=]+)*$/, {
    message: 'CREDENTIALS_KEKS must be id:base64key[,id:base64key…]',
  })
  CREDENTIALS_KEKS?: string;

  /**
   * Local folder for staging: where the extractor stages a window (and DuckDB spills). Without
   * STAGING_URI it is shared by the extractor and the uploader; with a `gs://` STAGING_URI it is
   * each service's own scratch.
   */
  @IsString()
  @IsNotEmpty()
  STAGING_DIR: string = '/tmp/bulk-export-staging';

  /**
   * Where staged windows travel from the extractor to the uploader: `gs://bucket/prefix/` (an
   * operator's bucket: no filesystem shared between services), or `file:///path` (a folder both
   * see, single node). Empty: the folder STAGING_DIR, shared.
   */
  @IsString()
  @Matches(/^$|^file:\/\/\/.+|^gs:\/\/[a-z0-9][a-z0-9._-]{1,221}[a-z0-9](\/.*)?$/, {
    message: 'STAGING_URI must be gs://bucket[/prefix/] or file:///absolute/path (or empty)',
  })
  STAGING_URI: string = '';

  /** Largest size of one exported file in bytes; the next bytes go to the next file index. */
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  MAX_FILE_BYTES: number = 100 * 1024 * 1024;

  /** DuckDB memory limit per service (DuckDB spills to STAGING_DIR beyond it). */
  @IsString()
  @Matches(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i, { message: 'DUCKDB_MEMORY_LIMIT must look like 512MB' })
  DUCKDB_MEMORY_LIMIT: string = '256MB';

  /** DuckDB worker threads per service. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(64)
  DUCKDB_THREADS: number = 2;

  /** How often the scheduler looks for due windows, in milliseconds. */
  @Type(() => Number)
  @IsInt()
  @Min(50)
  SCHEDULER_TICK_MS: number = 1000;

  /** How long after a window closes the scheduler waits for late messages before emitting it, in milliseconds. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  WINDOW_GRACE_MS: number = 5000;

  /**
   * Length of one "hour" of a recurring export's interval, in milliseconds. Always 3600000
   * in production; tests shorten it to run windows of seconds while the API keeps hours.
   */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  RECURRING_INTERVAL_UNIT_MS: number = 3_600_000;

  /** How often a service publishes its outbox, in milliseconds (it also publishes right after each write). */
  @Type(() => Number)
  @IsInt()
  @Min(20)
  OUTBOX_POLL_MS: number = 250;

  /**
   * How long a published outbox row is kept (for looking into what was sent) before the
   * relay deletes it, in milliseconds; 0 deletes rows as soon as the relay gets to them.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(90 * 24 * 3_600_000)
  OUTBOX_RETENTION_MS: number = 7 * 24 * 3_600_000;

  /** How many times a failed run is attempted in all before it stays failed. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  RUN_MAX_ATTEMPTS: number = 5;

  /**
   * How many times an attempt may be taken over from a worker that stopped while holding it
   * (its command came again: the worker crashed, was killed or lost its partition) before
   * the attempt fails with that reason and is retried with backoff.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  RUN_MAX_TAKEOVERS: number = 3;

  /**
   * A recurring export whose last this-many runs failed for good is paused (0: never). The
   * customer resumes it once the cause is fixed (POST /v1/exports/:id/resume).
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  AUTO_PAUSE_AFTER_FAILED_RUNS: number = 3;

  /** First retry delay of a failed run in milliseconds; doubles with each attempt. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  RUN_RETRY_BASE_MS: number = 30_000;

  /** Requests a minute allowed per API key on the REST API (per request-api replica); beyond it, 429. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  RATE_LIMIT_PER_MINUTE: number = 600;

  /**
   * Requests a minute with an unknown or revoked API key allowed per client address (per
   * request-api replica); beyond it, such requests get 429 before the database is asked.
   * Keys that authenticated recently are not held back.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  AUTH_FAILURES_PER_MINUTE: number = 30;

  /**
   * Hosts (names or IP addresses, comma-separated) that webhooks may reach although they
   * are not public addresses (an in-cluster receiver, a test receiver on 127.0.0.1), over
   * https or plain http. Every other endpoint must be https and resolve to public addresses.
   */
  @IsOptional()
  @IsString()
  @Matches(/^\s*\[?[A-Za-z0-9.:-]+\]?\s*(,\s*\[?[A-Za-z0-9.:-]+\]?\s*)*$/, {
    message: 'WEBHOOK_ALLOWED_HOSTS must be host names or IP addresses, comma-separated',
  })
  WEBHOOK_ALLOWED_HOSTS?: string;

  /**
   * First wait before a failed webhook delivery is tried again, in milliseconds; doubles each attempt, at most an hour.
   */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  WEBHOOK_RETRY_BASE_MS: number = 30_000;

  /** How long a webhook delivery is retried before it is given up as `failed`, in milliseconds (a day). */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(7 * 24 * 3_600_000)
  WEBHOOK_RETRY_FOR_MS: number = 24 * 3_600_000;

  /** How long a webhook endpoint has to answer a delivery, in milliseconds. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60_000)
  WEBHOOK_TIMEOUT_MS: number = 10_000;

  /**
   * How often request-api looks for webhook deliveries that are due, in milliseconds (it also looks right after an
   * event).
   */
  @Type(() => Number)
  @IsInt()
  @Min(20)
  WEBHOOK_POLL_MS: number = 1000;

  /** Log level: error, warn, info or debug. */
  @IsIn(['error', 'warn', 'info', 'debug'])
  LOG_LEVEL: 'error' | 'warn' | 'info' | 'debug' = 'info';
}

/** Settings a service cannot start without, beyond those every service needs. */
export type OptionalSetting = 'CREDENTIALS_KEKS';
