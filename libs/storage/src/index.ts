/**
 * storage: everything about the customer's Google Cloud Storage — parsing service-account
 * keys, bucket-name rules, the client factory, the bucket probe, uploads with integrity
 * checks, and the envelope encryption of stored keys.
 */
export * from './service-account-key';
export * from './bucket-name';
export * from './credential-cipher';
export * from './gcs-client.factory';
export * from './bucket-probe';
export * from './object-upload';
export * from './http-status';
export * from './storage.module';
export * from './transient-errors';
