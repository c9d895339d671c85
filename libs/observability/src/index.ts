/**
 * observability: the structured logger (with redaction) shared by all services, and the
 * health endpoints each service exposes.
 */
export * from './redact';
export * from './logger';
export * from './health.controller';
export * from './health-check';
export * from './bootstrap';
export * from './observability.module';
