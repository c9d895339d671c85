export * from './webhook-events';
export * from './webhook-address';
export * from './webhook-signature';
export * from './webhook-retry';
