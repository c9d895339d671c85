import { Storage } from '@google-cloud/storage';
import { BucketNotFound, BucketNotWritable, StorageUnavailable } from '@bulk-export/domain';
import { newId } from '@bulk-export/domain';

/** HTTP status of a GCS client error, if it has one. */
export function gcsStatus(error: unknown): number | undefined {
  const e = error as { code?: unknown; response?: { status?: unknown } };
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.response?.status === 'number') return e.response.status;
  return undefined;
}

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
    const status = gcsStatus(e);
    // 403: the key may write objects without being allowed to read bucket metadata; the probe decides.
    if (status !== 403) throw unavailable(e);
  }
  const probe = bucket.file(`.bulk-export-probe-${newId()}`);
  try {
    await probe.save('bulk-export write probe; safe to delete', { resumable: false, contentType: 'text/plain' });
  } catch (e) {
    const status = gcsStatus(e);
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
    const status = gcsStatus(e);
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
  const status = gcsStatus(e);
  return new StorageUnavailable(`Google Cloud Storage could not be reached${status ? ` (HTTP ${status})` : ''}; try again later`);
}
