/**
 * testing: helpers for tests against the real stack — isolated systems of real service
 * processes, a world of real repositories with factories for in-process tests of use cases
 * (TestWorld), kcat produce/consume, fake-gcs-server access, service-account keys, and
 * waiting on conditions with deadlines.
 */
export * from './wait-for';
export * from './local-stack';
export * from './service-process';
export * from './system';
export * from './kcat';
export * from './topics';
export * from './gcs';
export * from './http';
export * from './own-kafka';
export * from './postgres-outage';
export * from './http-probe';
export * from './tcp-fault-proxy';
export * from './http-fault-proxy';
export * from './factories';
