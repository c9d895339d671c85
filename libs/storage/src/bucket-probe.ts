import { Storage } from '@google-cloud/storage';
import { BucketNotFound, BucketNotWritable, InvalidServiceKey, StorageUnavailable } from '@bulk-export/domain';
import { newId } from '@bulk-export/domain';
import { httpStatus } from './http-status';

/**
 * Checks for real that a bucket exists under exactly this name and that the key may
 * write to it: writes a small probe object and deletes it again.
 */
export async function probeBucket(storage: Storage, bucketName: string, clientEmail: string): Promise<void> {
  const bucket = storage.bucket(bucketName);
  try {
    const [exists] = await bucket.exists();
    if (!exists) throw notFound(bucketName);
  } catch (e) {
    if (e instanceof BucketNotFound) throw e;
    const refused = keyRefusal(e);
    if (refused) {
      throw new InvalidServiceKey(
        `Google refused the key of ${clientEmail} (${refused}): it may have been deleted or disabled; create a new key`,
        'serviceKey',
      );
    }
    const status = httpStatus(e);
    // 403: the key may write objects without being allowed to read bucket metadata; the probe decides.
    if (status !== 403) throw unavailable(e);
  }
  const probe = bucket.file(`.bulk-export-probe-${newId()}`);
  try {
    await probe.save('bulk-export write probe; safe to delete', { resumable: false, contentType: 'text/plain' });
  } catch (e) {
    const status = httpStatus(e);
    if (status === 404) throw notFound(bucketName);
    if (status === 401 || status === 403) {
      throw new BucketNotWritable(
        `${clientEmail} may not write to bucket \`${bucketName}\`: grant it the Storage Object Admin role (roles/storage.objectAdmin) on the bucket`,
        'bucket',
      );
    }
    throw unavailable(e);
  }
  try {
    await probe.delete();
  } catch (e) {
    const status = httpStatus(e);
    if (status === 401 || status === 403) {
      throw new BucketNotWritable(
        `${clientEmail} may write to bucket \`${bucketName}\` but not delete from it; exports overwrite files when a run is retried, so grant it roles/storage.objectAdmin`,
        'bucket',
      );
    }
    throw unavailable(e);
  }
}

function notFound(bucketName: string): BucketNotFound {
  return new BucketNotFound(`bucket \`${bucketName}\` was not found: bucket names must match exactly`, 'bucket');
}

function unavailable(e: unknown): StorageUnavailable {
  const status = httpStatus(e);
  return new StorageUnavailable(
    `Google Cloud Storage could not be reached${status ? ` (HTTP ${status})` : ''}; try again later`,
  );
}

/**
 * Why Google's token endpoint refused the key, when it did: a deleted or disabled key or
 * service account answers 400 `invalid_grant` or 401 `invalid_client` (nothing the customer
 * fixes by trying again). Null for any other error, and for `invalid_grant` about the
 * token's times (this server's clock is off: an operator's problem, not the key's).
 */
export function keyRefusal(error: unknown): string | null {
  const data = (error as { response?: { data?: unknown } })?.response?.data as
    { error?: unknown; error_description?: unknown } | undefined;
  const code = typeof data?.error === 'string' ? data.error : null;
  if (code === null || !['invalid_grant', 'invalid_client', 'unauthorized_client'].includes(code)) return null;
  const description = typeof data?.error_description === 'string' ? data.error_description : '';
  // "Invalid JWT: Token must be a short-lived token … iat and exp": this server's clock is off, not the key.
  if (/\b(iat|exp)\b|short-lived|time frame|clock/i.test(description)) return null;
  return description ? `${code}: ${description}` : code;
}
