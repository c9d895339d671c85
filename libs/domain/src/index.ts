/**
 * domain: the product's pure rules — export options and statuses, windows, storable text,
 * typed errors, a bound on tasks in flight, and the rules of webhooks. No Nest, no I/O.
 */
export * from './export-options';
export * from './errors';
export * from './window';
export * from './date-time';
export * from './time-zone';
export * from './id';
export * from './retry';
export * from './text';
export * from './bounded-tasks';
export * from './object-prefix';
export * from './auto-pause';
export * from './run-tasks';
export * from './webhooks';
export * from './run-rules';
export * from './partition-ranges';
