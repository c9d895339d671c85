import { generateKeyPairSync } from 'node:crypto';
import { STACK, uniqueSuffix } from './local-stack';

/** A realistic service-account key (a real RSA key; fake-gcs-server does not check it). */
export function makeServiceKey(marker = ''): Record<string, string> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    type: 'service_account',
    project_id: 'bulk-export-test',
    private_key_id: `id${marker}`,
    private_key: pem,
    client_email: `exporter${marker ? '-' + marker.toLowerCase().replace(/[^a-z0-9]/g, '') : ''}@bulk-export-test.iam.gserviceaccount.com`,
    client_id: '1234567890',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: 'https://oauth2.googleapis.com/token',
  };
}

/** fake-gcs-server through its JSON API. */
/** Buckets this test file created and has not deleted yet (Jest gives every test file its own modules). */
const created = new Set<string>();

export const gcs = {
  async createBucket(name = `bx-test-${uniqueSuffix()}`): Promise<string> {
    created.add(name);
    const res = await fetch(`${STACK.gcsEndpoint}/storage/v1/b?project=test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    if (!res.ok) throw new Error(`could not create bucket ${name}: ${res.status} ${await res.text()}`);
    return name;
  },

  async list(bucket: string): Promise<{ name: string; size: number; crc32c: string }[]> {
    const items: { name: string; size: number; crc32c: string }[] = [];
    let pageToken = '';
    do {
      const res = await fetch(
        `${STACK.gcsEndpoint}/storage/v1/b/${bucket}/o?maxResults=1000${pageToken ? `&pageToken=${pageToken}` : ''}`,
      );
      if (!res.ok) throw new Error(`could not list ${bucket}: ${res.status}`);
      const body = (await res.json()) as {
        items?: { name: string; size: string; crc32c: string }[];
        nextPageToken?: string;
      };
      for (const i of body.items ?? []) items.push({ name: i.name, size: Number(i.size), crc32c: i.crc32c });
      pageToken = body.nextPageToken ?? '';
    } while (pageToken);
    return items.sort((a, b) => (a.name < b.name ? -1 : 1));
  },

  /** Deletes one object (a missing one is fine). */
  async deleteObject(bucket: string, name: string): Promise<void> {
    const res = await fetch(`${STACK.gcsEndpoint}/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}`, {
      method: 'DELETE',
    });
    if (!res.ok && res.status !== 404) throw new Error(`could not delete ${name} from ${bucket}: ${res.status}`);
  },

  /** Deletes every object of a bucket (what an export wrote); the bucket stays. */
  async empty(bucket: string): Promise<number> {
    const objects = await gcs.list(bucket);
    for (const { name } of objects) await gcs.deleteObject(bucket, name);
    return objects.length;
  },

  /** Deletes a bucket and everything in it. */
  async deleteBucket(bucket: string): Promise<void> {
    await gcs.empty(bucket);
    const res = await fetch(`${STACK.gcsEndpoint}/storage/v1/b/${bucket}`, { method: 'DELETE' });
    if (!res.ok && res.status !== 404) throw new Error(`could not delete bucket ${bucket}: ${res.status}`);
    created.delete(bucket);
  },

  /** Deletes every bucket this test file created (test/support/cleanup.ts calls it after each file). */
  async deleteCreatedBuckets(): Promise<void> {
    for (const bucket of [...created]) {
      // A test may have deleted it already (to make uploads fail).
      const found = await fetch(`${STACK.gcsEndpoint}/storage/v1/b/${bucket}`);
      if (found.status === 404) created.delete(bucket);
      else await gcs.deleteBucket(bucket);
    }
  },

  /** Writes an object (as another writer would), unconditionally. */
  async upload(bucket: string, name: string, content: string | Buffer): Promise<void> {
    const res = await fetch(
      `${STACK.gcsEndpoint}/upload/storage/v1/b/${bucket}/o?uploadType=media&name=${encodeURIComponent(name)}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: content,
      },
    );
    if (!res.ok) throw new Error(`could not upload ${name} to ${bucket}: ${res.status} ${await res.text()}`);
  },

  async download(bucket: string, name: string): Promise<Buffer> {
    const res = await fetch(`${STACK.gcsEndpoint}/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}?alt=media`);
    if (!res.ok) throw new Error(`could not download ${name}: ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  },
};
