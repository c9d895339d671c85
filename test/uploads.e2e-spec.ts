import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { AppConfig } from '@bulk-export/config';
import {
  deleteObjectsExcept,
  GcsClientFactory,
  objectGenerations,
  ObjectChangedError,
  parseServiceAccountKey,
  uploadFile,
} from '@bulk-export/storage';
import { gcs, makeServiceKey, STACK, TcpFaultProxy } from '@bulk-export/testing';

/**
 * Uploads carry generation preconditions (against the real fake-gcs-server): an attempt
 * replaces only the objects it saw when it began, so a stale worker, one that lost the
 * run and works on, cannot overwrite a newer attempt's result; the same bytes written
 * twice are not a conflict.
 */
describe('object uploads', () => {
  let storage: Storage;
  let bucket: string;
  const dir = mkdtempSync(join(tmpdir(), 'bx-uploads-'));
  let files = 0;
  const localFile = (content: Buffer | string): string => {
    const path = join(dir, `f${files++}`);
    writeFileSync(path, content);
    return path;
  };

  beforeAll(async () => {
    storage = new GcsClientFactory({ GCS_API_ENDPOINT: STACK.gcsEndpoint } as AppConfig).forKey(
      parseServiceAccountKey(JSON.stringify(makeServiceKey())),
    );
    bucket = await gcs.createBucket();
  });

  afterAll(async () => {
    await gcs.deleteBucket(bucket);
  });

  const content = async (name: string) => (await gcs.download(bucket, name)).toString();

  it('writes an object that must not exist yet, and will not replace it with other bytes', async () => {
    await uploadFile(storage, bucket, localFile('first'), 'run-a-x', 'text/plain', 0);
    await expect(uploadFile(storage, bucket, localFile('second'), 'run-a-x', 'text/plain', 0)).rejects.toThrow(
      ObjectChangedError,
    );
    await expect(uploadFile(storage, bucket, localFile('second'), 'run-a-x', 'text/plain', 0)).rejects.toThrow(
      /object run-a-x was written by another worker while this attempt ran \(it is no longer absent\)/,
    );
    expect(await content('run-a-x')).toBe('first');
  });

  it('keeps a stale worker from overwriting what a newer attempt wrote', async () => {
    await uploadFile(storage, bucket, localFile('attempt 1'), 'run-b-x', 'text/plain', 0);
    // Both look at the bucket when they begin: the stale worker first, the newer attempt after it.
    const stale = await objectGenerations(storage, bucket, 'run-b-');
    const newer = await objectGenerations(storage, bucket, 'run-b-');
    await uploadFile(storage, bucket, localFile('attempt 3'), 'run-b-x', 'text/plain', newer.get('run-b-x'));
    await expect(
      uploadFile(storage, bucket, localFile('attempt 2, other bytes'), 'run-b-x', 'text/plain', stale.get('run-b-x')),
    ).rejects.toThrow(
      `object run-b-x was written by another worker while this attempt ran (it is no longer generation ${stale.get('run-b-x')})`,
    );
    expect(await content('run-b-x')).toBe('attempt 3');
    // The newer attempt's own next write (its retry) replaces the generation it now sees.
    const latest = await objectGenerations(storage, bucket, 'run-b-');
    expect(latest.get('run-b-x')).not.toBe(stale.get('run-b-x'));
    await uploadFile(storage, bucket, localFile('attempt 4'), 'run-b-x', 'text/plain', latest.get('run-b-x'));
    expect(await content('run-b-x')).toBe('attempt 4');
  });

  it('counts an upload as done when the object already holds exactly its bytes', async () => {
    const same = randomBytes(4096);
    await uploadFile(storage, bucket, localFile(same), 'run-c-x', 'application/octet-stream', 0);
    const before = await objectGenerations(storage, bucket, 'run-c-');
    // The same data written by another attempt, or this request retried after it had succeeded.
    await expect(
      uploadFile(storage, bucket, localFile(same), 'run-c-x', 'application/octet-stream', 0),
    ).resolves.toMatchObject({ bytes: 4096 });
    expect(await objectGenerations(storage, bucket, 'run-c-')).toEqual(before);
  });

  it('holds resumable uploads (large files) to the same precondition', async () => {
    const big = randomBytes(9 * 1024 * 1024);
    await uploadFile(storage, bucket, localFile(big), 'run-d-x', 'application/octet-stream', 0);
    const other = Buffer.from(big);
    other[0] ^= 0xff;
    await expect(
      uploadFile(storage, bucket, localFile(other), 'run-d-x', 'application/octet-stream', 0),
    ).rejects.toThrow(ObjectChangedError);
    expect((await gcs.download(bucket, 'run-d-x')).equals(big)).toBe(true);
  });

  it('uploads files many times the size of its read buffers, several at once and one after the other, byte for byte', async () => {
    // 40 MiB: each upload goes round its 16 buffers of 1 MiB (FilePieces) more than twice.
    const files = [0, 1, 2].map(() => randomBytes(40 * 1024 * 1024 + 7));
    const paths = files.map((f) => localFile(f));
    for (let round = 0; round < 2; round++) {
      await Promise.all(
        paths.map((path, i) => uploadFile(storage, bucket, path, `run-f${round}-${i}`, 'application/octet-stream')),
      );
      for (const [i, file] of files.entries())
        expect((await gcs.download(bucket, `run-f${round}-${i}`)).equals(file)).toBe(true);
    }
  });

  it('gives an upload that keeps making progress as long as it needs, and cuts off one that stalls', async () => {
    // 48 MiB over a link of 16 MB/s: some 3 s of sending, twice the client's request timeout.
    const link = await TcpFaultProxy.inFrontOf(STACK.gcsEndpoint, { bytesPerSecond: 16_000_000 });
    try {
      const timeoutMs = 1500;
      const overLink = new GcsClientFactory({
        GCS_API_ENDPOINT: link.url,
        GCS_REQUEST_TIMEOUT_MS: timeoutMs,
      } as AppConfig).forKey(parseServiceAccountKey(JSON.stringify(makeServiceKey())));
      const big = randomBytes(48 * 1024 * 1024);
      const path = localFile(big);
      const started = Date.now();
      await uploadFile(overLink, bucket, path, 'run-g-x', 'application/octet-stream');
      expect(Date.now() - started).toBeGreaterThan(2 * timeoutMs);
      expect(link.bytesPassed).toBeGreaterThan(big.length);
      expect((await gcs.download(bucket, 'run-g-x')).equals(big)).toBe(true);
      // The link stops passing anything 8 MiB into the next upload: that try is cut off, the next one goes through.
      link.stallOnceAfter(8 * 1024 * 1024);
      const before = link.bytesPassed;
      await uploadFile(overLink, bucket, path, 'run-g-y', 'application/octet-stream');
      expect(link.bytesPassed - before).toBeGreaterThan(big.length + 8 * 1024 * 1024);
      expect((await gcs.download(bucket, 'run-g-y')).equals(big)).toBe(true);
    } finally {
      await link.kill();
    }
  });

  it('lists the generations of one run only, and deletes what the run did not write and saw unchanged', async () => {
    for (const name of ['run-e-1', 'run-e-2', 'run-e-3', 'run-e2-1'])
      await uploadFile(storage, bucket, localFile(name), name, 'text/plain', 0);
    const seen = await objectGenerations(storage, bucket, 'run-e-');
    expect([...seen.keys()].sort()).toEqual(['run-e-1', 'run-e-2', 'run-e-3']);
    for (const generation of seen.values()) expect(generation).toMatch(/^\d+$/);
    // While the attempt ran, another worker (a newer attempt) wrote run-e-3 again and run-e-4: those are not this
    // attempt's to delete.
    await uploadFile(storage, bucket, localFile('newer'), 'run-e-3', 'text/plain', seen.get('run-e-3'));
    await uploadFile(storage, bucket, localFile('newer'), 'run-e-4', 'text/plain', 0);
    expect(await deleteObjectsExcept(storage, bucket, 'run-e-', new Set(['run-e-1']), seen)).toEqual({
      removed: ['run-e-2'],
      left: ['run-e-3', 'run-e-4'],
    });
    expect((await gcs.list(bucket)).map((o) => o.name).filter((n) => n.startsWith('run-e'))).toEqual([
      'run-e-1',
      'run-e-3',
      'run-e-4',
      'run-e2-1',
    ]);
  });

  it('uploads without a precondition when none is given', async () => {
    await uploadFile(storage, bucket, localFile('one'), 'run-f-x', 'text/plain');
    await uploadFile(storage, bucket, localFile('two'), 'run-f-x', 'text/plain');
    expect(await content('run-f-x')).toBe('two');
  });
});
