import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AppConfig, loadConfig } from '@bulk-export/config';
import { Topics, topicNames } from '@bulk-export/contracts';
import { ExportStatus, ExtractSpec, newId, RunStatus, TaskKind, TaskSpec, TaskStatus } from '@bulk-export/domain';
import { Logger, LogSink, Metrics } from '@bulk-export/observability';
import {
  Account,
  AccountsRepository,
  CredentialsRepository,
  DueRunsRepository,
  dataSourceOptions,
  Export,
  ExportRun,
  ExportsRepository,
  GcsCredential,
  OutboxRepository,
  RunsRepository,
  RunTask,
  RunTasksRepository,
  WebhooksRepository,
} from '@bulk-export/persistence';
import { CredentialCipher, GcsClientFactory } from '@bulk-export/storage';
import { gcs, makeServiceKey } from './gcs';
import { createTestDatabase, isolatedSettings, uniqueSuffix } from './local-stack';
import { deleteTopics } from './topics';

/** A test's account, with the secret of its API key and the name of its events topic. */
export interface AccountFixture {
  account: Account;
  apiKey: string;
  eventsTopic: string;
  profilesTopic: string;
}

/** Saved credentials with the key they seal (as a customer gave it) and their bucket in fake-gcs-server. */
export interface CredentialFixture {
  credential: GcsCredential;
  serviceKey: Record<string, string>;
  bucket: string;
}

/** An outbox message as a test reads it back. */
export interface OutboxRow {
  id: string;
  topic: string;
  key: string | null;
  payload: Record<string, unknown>;
}

/** Log lines kept in memory (printed when TEST_LOG=1), so an in-process test does not flood Jest's output. */
class MemorySink implements LogSink {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
    if (process.env.TEST_LOG) process.stdout.write(line);
  }
}

const DAY = 86_400_000;

/**
 * One test file's world for in-process tests of use cases: its own migrated database, topic
 * prefix, staging folder and configuration, the real repositories over a TypeORM data source,
 * and factories that insert accounts, credentials, exports, runs and tasks through those
 * repositories (or, for states only workers reach, as the workers' transactions would leave
 * them). Defaults make a valid row; every factory takes overrides. `close()` undoes it all.
 */
export class TestWorld {
  readonly accounts: AccountsRepository;
  readonly credentials: CredentialsRepository;
  readonly exports: ExportsRepository;
  readonly outbox: OutboxRepository;
  readonly dueRuns: DueRunsRepository;
  readonly runs: RunsRepository;
  readonly tasks: RunTasksRepository;
  readonly webhooks: WebhooksRepository;
  readonly cipher: CredentialCipher;
  readonly clients: GcsClientFactory;
  readonly topics: Topics;
  readonly logger: Logger;
  readonly metrics = new Metrics('test');
  private readonly sink: MemorySink;

  private constructor(
    readonly db: DataSource,
    readonly config: AppConfig,
    private readonly work: string,
    private readonly dropDatabase: () => Promise<void>,
  ) {
    this.outbox = new OutboxRepository(db);
    this.accounts = new AccountsRepository(db);
    this.credentials = new CredentialsRepository(db);
    this.exports = new ExportsRepository(db, this.outbox);
    this.dueRuns = new DueRunsRepository(db, this.outbox);
    this.runs = new RunsRepository(db, this.outbox);
    this.tasks = new RunTasksRepository(db, this.outbox, this.runs);
    this.webhooks = new WebhooksRepository(db);
    this.cipher = new CredentialCipher(config.CREDENTIALS_KEKS as string);
    this.clients = new GcsClientFactory(config);
    this.topics = topicNames(config.TOPIC_PREFIX);
    this.sink = new MemorySink();
    this.logger = new Logger('test', 'debug', {}, this.sink);
  }

  /** `env` overrides settings, as a service's environment would (e.g. RUN_RETRY_BASE_MS). */
  static async open(env: Record<string, string> = {}): Promise<TestWorld> {
    const db = await createTestDatabase();
    const suffix = uniqueSuffix();
    const work = mkdtempSync(join(tmpdir(), `bx-world-${suffix}-`));
    const config = loadConfig(
      {
        HTTP_PORT: '0',
        ...isolatedSettings(db.url, suffix, work),
        INTERNAL_TOPIC_PARTITIONS: '1',
        RUN_RETRY_BASE_MS: '1000',
        ...env,
      },
      { require: ['CREDENTIALS_KEKS'] },
    );
    try {
      const dataSource = await new DataSource(dataSourceOptions(db.url)).initialize();
      return new TestWorld(dataSource, config, work, db.drop);
    } catch (e) {
      await db.drop();
      throw e;
    }
  }

  /** The log lines written so far (JSON), e.g. to see why a task failed. */
  get logLines(): string[] {
    return this.sink.lines;
  }

  /** Drops the database, deletes the world's topics and its staging folder (KEEP_TEST_DATA=1 keeps them). */
  async close(): Promise<void> {
    if (this.db.isInitialized) await this.db.destroy();
    await this.dropDatabase();
    if (process.env.KEEP_TEST_DATA) return;
    await deleteTopics(this.config.TOPIC_PREFIX);
    rmSync(this.work, { recursive: true, force: true });
  }

  // --- factories ---

  /** An account with one API key. */
  async account(overrides: { timeZone?: string; databaseId?: string; name?: string } = {}): Promise<AccountFixture> {
    const databaseId = overrides.databaseId ?? `db_${uniqueSuffix()}`;
    const account = await this.accounts.createAccount({
      name: overrides.name ?? `test ${databaseId}`,
      databaseId,
      timeZone: overrides.timeZone ?? 'UTC',
    });
    const { secret } = await this.accounts.addApiKey(account.id, 'test');
    const topic = (template: string) => template.split('{accountId}').join(account.id);
    return {
      account,
      apiKey: secret,
      eventsTopic: topic(this.config.EVENTS_TOPIC_TEMPLATE),
      profilesTopic: topic(this.config.PROFILES_TOPIC_TEMPLATE),
    };
  }

  /**
   * Saved GCS credentials of `accountId`: a real service-account key sealed as the API seals
   * it, for a new bucket of fake-gcs-server (or `bucket`, created here unless it exists).
   */
  async credential(
    accountId: string,
    overrides: { bucket?: string; deleted?: boolean } = {},
  ): Promise<CredentialFixture> {
    const bucket = overrides.bucket ?? (await gcs.createBucket());
    const serviceKey = makeServiceKey();
    const id = newId();
    const credential = Object.assign(new GcsCredential(), {
      id,
      accountId,
      bucket,
      clientEmail: serviceKey.client_email,
      projectId: serviceKey.project_id,
      deletedAt: null,
      ...this.cipher.seal(JSON.stringify(serviceKey), id),
    });
    const saved = await this.credentials.save(credential);
    if (overrides.deleted) await this.credentials.delete(accountId, id);
    return { credential: saved, serviceKey, bucket };
  }

  /**
   * An export (through ExportsRepository.create, with no outbox message: a test reads only
   * what the use case under test appends). By default a one-time JSON export of all events
   * over the day before yesterday, `pending`.
   */
  async export(accountId: string, credentialId: string, overrides: Partial<Export> = {}): Promise<Export> {
    const recurring = overrides.frequency === 'recurring';
    const now = Date.now();
    const row = Object.assign(new Export(), {
      id: newId(),
      accountId,
      credentialId,
      partner: 'gcp',
      type: 'all_events',
      eventNames: null,
      frequency: 'one_time',
      intervalHours: recurring ? 1 : null,
      windowFrom: new Date(now - 2 * DAY),
      windowTo: recurring ? null : new Date(now - DAY),
      format: 'json',
      compression: overrides.format === 'parquet' ? 'snappy' : 'none',
      prefix: '',
      maxFileMb: null,
      xmlLayout: 'documented',
      profileMode: 'incremental',
      status: 'pending' as ExportStatus,
      error: null,
      idempotencyKey: null,
      stoppedAt: null,
      pausedAt: overrides.status === 'paused' ? new Date() : null,
      ...overrides,
    } satisfies Partial<Export>);
    return this.exports.create(row, []);
  }

  /**
   * A run of `exportRow` in the state asked for, inserted as the scheduler and the workers
   * would leave it (a state only they reach has no repository method of its own). By default
   * the export's whole window (one-time) or its first hour (recurring), `pending`, attempt 1.
   */
  async run(exportRow: Export, overrides: Partial<ExportRun> = {}): Promise<ExportRun> {
    const start = overrides.windowStart ?? exportRow.windowFrom;
    const end =
      overrides.windowEnd ??
      exportRow.windowTo ??
      new Date(start.getTime() + (exportRow.intervalHours ?? 1) * 3_600_000);
    const status: RunStatus = overrides.status ?? 'pending';
    const finished = status === 'done' || status === 'failed' || status === 'cancelled';
    const run = this.db.getRepository(ExportRun).create({
      id: newId(),
      exportId: exportRow.id,
      windowStart: start,
      windowEnd: end,
      status,
      attempt: 1,
      claim: status === 'running' ? newId() : null,
      takeovers: 0,
      phase: null,
      error: status === 'failed' ? 'failed in a test' : null,
      warning: null,
      nextAttemptAt: null,
      startedAt: status === 'pending' ? null : new Date(),
      finishedAt: finished ? new Date() : null,
      ...overrides,
    });
    return this.db.getRepository(ExportRun).save(run);
  }

  /**
   * A task of `run`'s current attempt, inserted as a phase's start would insert it. By
   * default the first extract task, pending, its first try, over no offsets.
   */
  async task(
    run: ExportRun,
    overrides: Partial<RunTask> & { kind?: TaskKind; status?: TaskStatus; spec?: TaskSpec } = {},
  ): Promise<RunTask> {
    const spec: ExtractSpec = { ranges: [], probe: [], deadLettered: [], block: 0 };
    const task = this.db.getRepository(RunTask).create({
      id: newId(),
      runId: run.id,
      attempt: run.attempt,
      kind: 'extract',
      seq: 0,
      spec,
      status: 'pending',
      taskAttempt: 1,
      takeovers: 0,
      ...overrides,
    });
    return this.db.getRepository(RunTask).save(task);
  }

  /**
   * Takes a pending run through its planning as the extractor does (startExtraction, then
   * RunTasksRepository.plan with `extracts`), appending the task commands an extractor
   * would. Returns the run as it is then, with its extract tasks.
   */
  async plannedRun(
    run: ExportRun,
    extracts: ExtractSpec[],
    offsets: Record<string, { start: string; end: string }> = {},
  ): Promise<{ run: ExportRun; tasks: RunTask[] }> {
    const ctx = await this.runs.startExtraction(run.id, run.attempt, () => []);
    if (!ctx) throw new Error(`run ${run.id} could not be claimed for extraction`);
    const planned = await this.tasks.plan(
      run.id,
      { attempt: run.attempt, claim: ctx.run.claim as string },
      { offsets, warning: null, extracts },
      (tasks) =>
        tasks.map((t) => ({
          topic: t.kind === 'extract' ? this.topics.extractTasks : this.topics.writeTasks,
          key: t.runId,
          payload: { taskId: t.id },
        })),
    );
    if (!planned) throw new Error(`run ${run.id} could not be planned`);
    return { run: await this.runRow(run.id), tasks: await this.tasks.tasksOf(run.id, run.attempt) };
  }

  // --- reading state back ---

  async exportRow(id: string): Promise<Export> {
    return this.db.getRepository(Export).findOneByOrFail({ id });
  }

  async runRow(id: string): Promise<ExportRun> {
    return this.db.getRepository(ExportRun).findOneByOrFail({ id });
  }

  async runsOf(exportId: string): Promise<ExportRun[]> {
    return this.db.getRepository(ExportRun).find({ where: { exportId }, order: { windowStart: 'ASC' } });
  }

  async taskRow(id: string): Promise<RunTask> {
    return this.db.getRepository(RunTask).findOneByOrFail({ id });
  }

  /** The tasks of a run's attempt of one kind, in order. */
  async tasksOf(runId: string, kind: TaskKind, attempt?: number): Promise<RunTask[]> {
    return this.db.getRepository(RunTask).find({
      where: { runId, kind, ...(attempt === undefined ? {} : { attempt }) },
      order: { attempt: 'ASC', seq: 'ASC' },
    });
  }

  /** The id of the newest outbox message (0 if none): what an action appends comes after it. */
  async outboxMark(): Promise<string> {
    const [row] = (await this.db.query(`SELECT coalesce(max(id), 0)::text AS id FROM outbox`)) as { id: string }[];
    return row.id;
  }

  /** The outbox messages appended after `mark` (outboxMark), in order. */
  async outboxSince(mark = '0'): Promise<OutboxRow[]> {
    const rows = (await this.db.query(
      `SELECT id::text AS id, topic, key, payload FROM outbox WHERE id > $1 ORDER BY id`,
      [mark],
    )) as OutboxRow[];
    return rows;
  }
}
