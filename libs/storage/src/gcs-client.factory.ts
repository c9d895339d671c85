import { RETRYABLE_ERR_FN_DEFAULT, Storage } from '@google-cloud/storage';
import { AppConfig } from '@bulk-export/config';
import { ServiceAccountKey } from './service-account-key';
import { nativeCrc32c } from './object-upload';
import { retryAfterMs } from './transient-errors';

/**
 * Makes a GCS client for one customer's key. With GCS_API_ENDPOINT set (fake-gcs-server)
 * the client talks to that endpoint and does not try to fetch OAuth tokens.
 */
export class GcsClientFactory {
  constructor(private readonly config: AppConfig) {}

  forKey(key: ServiceAccountKey): Storage {
    return new Storage({
      projectId: key.project_id,
      credentials: { client_email: key.client_email, private_key: key.private_key },
      ...(this.config.GCS_API_ENDPOINT ? { apiEndpoint: this.config.GCS_API_ENDPOINT } : {}),
      timeout: this.config.GCS_REQUEST_TIMEOUT_MS,
      crc32cGenerator: nativeCrc32c,
      // The client retries with its own delays; an answer that says when to come back (Retry-After)
      // is left to our callers, which wait that long (uploadFile).
      retryOptions: {
        autoRetry: true,
        maxRetries: 4,
        retryableErrorFn: (err) => retryAfterMs(err) === null && RETRYABLE_ERR_FN_DEFAULT(err),
      },
    });
  }
}

/**
 * A GCS client with the deployment's own identity (Application Default Credentials: the
 * pod's workload identity, GOOGLE_APPLICATION_CREDENTIALS…), for the operator's buckets such
 * as the staging store; never a customer's key. GCS_API_ENDPOINT applies as for customers.
 */
export function deploymentStorage(config: Pick<AppConfig, 'GCS_API_ENDPOINT'>): Storage {
  return new Storage({
    ...(config.GCS_API_ENDPOINT ? { apiEndpoint: config.GCS_API_ENDPOINT } : {}),
    retryOptions: { autoRetry: true, maxRetries: 4 },
    // Staging downloads are checked against their CRC32C.
    crc32cGenerator: nativeCrc32c,
  });
}
