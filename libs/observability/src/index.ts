/**
 * observability: the structured logger (with redaction) shared by all services, the
 * Prometheus metrics, the health endpoints each service exposes, and service start-up.
 */
export * from './redact';
export * from './logger';
export * from './health.controller';
export * from './health-check';
export * from './bootstrap';
export * from './observability.module';
export * from './metrics';
export * from './metrics.controller';
export * from './service-started';
