/**
 * persistence: the system of record in Postgres — entities, migrations, the data source,
 * and the repositories that are the only door to it. Every state change that others must
 * hear about writes its Kafka messages to the outbox in the same transaction.
 */
export * from './entities';
export * from './migrations';
export * from './data-source';
export * from './database-unavailable';
export * from './persistence.module';
export * from './repositories/accounts.repository';
export * from './repositories/credentials.repository';
export * from './repositories/due-runs.repository';
export * from './repositories/exports.repository';
export * from './repositories/outbox.repository';
export * from './repositories/run-writes';
export * from './repositories/runs.repository';
export * from './repositories/run-tasks.repository';
export * from './repositories/webhooks.repository';
