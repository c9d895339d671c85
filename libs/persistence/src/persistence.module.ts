import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '@bulk-export/config';
import { HealthCheck } from '@bulk-export/observability';
import { dataSourceOptions } from './data-source';
import { AccountsRepository } from './repositories/accounts.repository';
import { CredentialsRepository } from './repositories/credentials.repository';
import { DueRunsRepository } from './repositories/due-runs.repository';
import { ExportsRepository } from './repositories/exports.repository';
import { OutboxRepository } from './repositories/outbox.repository';
import { RunsRepository } from './repositories/runs.repository';
import { RunTasksRepository } from './repositories/run-tasks.repository';
import { WebhooksRepository } from './repositories/webhooks.repository';

const REPOSITORIES = [
  AccountsRepository,
  CredentialsRepository,
  DueRunsRepository,
  ExportsRepository,
  OutboxRepository,
  RunsRepository,
  RunTasksRepository,
  WebhooksRepository,
];

/** Postgres health, for /health/ready. */
export class PostgresHealth implements HealthCheck {
  readonly name = 'postgres';
  constructor(private readonly dataSource: DataSource) {}
  async check(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}

@Global()
@Module({})
export class PersistenceModule {
  static forRoot(): DynamicModule {
    return {
      module: PersistenceModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            ...dataSourceOptions(config.DATABASE_URL, config.DATABASE_CONNECT_TIMEOUT_MS),
            retryAttempts: 5,
            retryDelay: 1000,
          }),
        }),
      ],
      providers: [
        ...REPOSITORIES,
        { provide: PostgresHealth, inject: [DataSource], useFactory: (ds: DataSource) => new PostgresHealth(ds) },
      ],
      exports: [...REPOSITORIES, PostgresHealth],
    };
  }
}
