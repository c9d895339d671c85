import { mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { AccountsRepository, dataSourceOptions } from '@bulk-export/persistence';
import { createTestDatabase, isolatedSettings, uniqueSuffix } from './local-stack';
import { ServiceName, ServiceProcess } from './service-process';
import { deleteTopics } from './topics';

export interface TestAccount {
  id: string;
  databaseId: string;
  apiKey: string;
  eventsTopic: string;
}

/**
 * The four services against the local stack, isolated for one test file: its own
 * database, topic prefix, staging folder and accounts. `env` overrides settings.
 */
export class TestSystem {
  readonly services = new Map<ServiceName, ServiceProcess>();
  readonly env: Record<string, string>;
  readonly logDir: string;
  private dataSource!: DataSource;
  private dropDatabase: () => Promise<void> = async () => undefined;
  private work = '';

  private constructor(env: Record<string, string>, logDir: string) {
    this.env = env;
    this.logDir = logDir;
  }

  static async start(
    overrides: Record<string, string> = {},
    services: ServiceName[] = ['request-api', 'scheduler', 'extractor', 'uploader'],
  ): Promise<TestSystem> {
    const db = await createTestDatabase();
    const suffix = uniqueSuffix();
    const work = mkdtempSync(join(tmpdir(), `bx-e2e-${suffix}-`));
    const env = {
      ...isolatedSettings(db.url, suffix, work),
      SCHEDULER_TICK_MS: '200',
      WINDOW_GRACE_MS: '500',
      OUTBOX_POLL_MS: '100',
      RUN_RETRY_BASE_MS: '1000',
      LOG_LEVEL: 'debug',
      ...overrides,
    };
    const system = new TestSystem(env, resolve(process.env.TEST_LOG_DIR ?? join(work, 'logs')));
    system.work = work;
    system.dropDatabase = db.drop;
    system.dataSource = await new DataSource(dataSourceOptions(db.url)).initialize();
    for (const name of services) system.services.set(name, new ServiceProcess(name, env, system.logDir));
    await Promise.all([...system.services.values()].map((s) => s.start()));
    return system;
  }

  service(name: ServiceName): ServiceProcess {
    const s = this.services.get(name);
    if (!s) throw new Error(`${name} is not part of this system`);
    return s;
  }

  get api(): string {
    return this.service('request-api').url;
  }

  get db(): DataSource {
    return this.dataSource;
  }

  async createAccount(timeZone = 'UTC'): Promise<TestAccount> {
    const accounts = new AccountsRepository(this.dataSource);
    const databaseId = `db_${uniqueSuffix()}`;
    const account = await accounts.createAccount({ name: `test ${databaseId}`, databaseId, timeZone });
    const { secret } = await accounts.addApiKey(account.id, 'test');
    return {
      id: account.id,
      databaseId,
      apiKey: secret,
      eventsTopic: this.env.EVENTS_TOPIC_TEMPLATE.replace('{accountId}', account.id),
    };
  }

  /**
   * Stops the services, drops the database, deletes the system's topics and removes its
   * staging (the logs stay); calling it again does nothing. KEEP_TEST_DATA=1 keeps the
   * topics and the staging, to look at.
   */
  async stop(): Promise<void> {
    await Promise.all([...this.services.values()].map((s) => s.stop()));
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
    const drop = this.dropDatabase;
    this.dropDatabase = async () => undefined;
    await drop();
    if (process.env.KEEP_TEST_DATA || !this.work) return;
    const work = this.work;
    this.work = '';
    await deleteTopics(this.env.TOPIC_PREFIX);
    rmSync(this.env.STAGING_DIR, { recursive: true, force: true });
    // Only if empty: the logs are there unless TEST_LOG_DIR put them elsewhere.
    try {
      rmdirSync(work);
    } catch {
      // it holds the logs
    }
  }
}
