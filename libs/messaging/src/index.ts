/**
 * messaging: the Kafka client of each service, the command consumer (commit after
 * handling, dead-letter what is invalid), the outbox relay and the dead-letter publisher.
 */
export * from './kafka.client';
export * from './outbox.relay';
export * from './poll-loop';
export * from './dead-letter';
export * from './command.consumer';
export * from './consumer-supervisor';
export * from './kafka-command.transport';
export * from './messaging.module';
export * from './topic-range-reader';
export * from './window-ranges';
export * from './compression-codecs';
export * from './capture-order';
export * from './capture-order-probe';
