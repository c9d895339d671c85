/**
 * contracts: the names of our topics (one map) and every message that crosses Kafka, as a
 * versioned class validated on receipt.
 */
export * from './topics';
export * from './messages';
export * from './create-export.request';
export * from './create-webhook.request';
export * from './decode-command';
export * from './decode';
export * from './input-problems';
export * from './decode-export-event';
export * from './run-task-command';
export * from './outgoing';
