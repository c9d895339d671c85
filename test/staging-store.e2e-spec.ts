import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gcs, ServiceProcess, TestAccount, TestSystem, waitFor } from '@bulk-export/testing';
import { createExport, exportDone, produceInWindow, saveCredentials } from './support/exports';
import { readJsonFile } from './support/readers';

/**
 * Staging through an object store (STAGING_URI=gs://…): the extractor and the uploader share
 * no folder, the staging objects go when the run is done, and a staged window that is gone
 * from the store when the uploader reads it fails that attempt, and the retry exports it exactly.
 */
describe('staging through a bucket, no shared filesystem', () => {
  let system: TestSystem;
  let account: TestAccount;
  let bucket: string;
  let credentialId: string;
  let staging: string;
  let uploader: ServiceProcess;
  const uploaderScratch = mkdtempSync(join(tmpdir(), 'bx-uploader-scratch-'));

  beforeAll(async () => {
    staging = await gcs.createBucket();
    system = await TestSystem.start({ STAGING_URI: `gs://${staging}/bulk-export/`, RUN_RETRY_BASE_MS: '300' }, [
      'request-api',
      'scheduler',
      'extractor',
    ]);
    // The uploader has a scratch folder of its own, as on another machine.
    uploader = new ServiceProcess('uploader', { ...system.env, STAGING_DIR: uploaderScratch }, system.logDir);
    await uploader.start();
    account = await system.createAccount();
    ({ bucket, credentialId } = await saveCredentials(system, account));
  });

  afterAll(async () => {
    await uploader?.stop();
    await system?.stop();
  });

  const values = (tag: string, n: number) =>
    Array.from({ length: n }, (_, seq) =>
      JSON.stringify({
        eventName: `E${seq % 3}`,
        ts: 20261201120000,
        profile: { identity: `u${seq}` },
        eventProps: { tag, seq },
      }),
    );
  const seqsOf = async (files: { name: string }[], tag: string) => {
    const seqs: number[] = [];
    for (const f of files) {
      for (const row of readJsonFile(await gcs.download(bucket, f.name)).rows as {
        eventProps: { tag: string; seq: number };
      }[]) {
        expect(row.eventProps.tag).toBe(tag);
        seqs.push(row.eventProps.seq);
      }
    }
    return seqs.sort((a, b) => a - b);
  };
  const stagingObjects = async () => (await gcs.list(staging)).map((o) => o.name);

  it('exports a window staged in the bucket, and removes the staging once the run is done', async () => {
    const { from, to } = await produceInWindow(account.eventsTopic, values('a', 2000));
    const id = await createExport(system, account, {
      credentialId,
      type: 'all_events',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      format: 'json',
    });
    const exported = await exportDone(system, account, id);
    expect(await seqsOf(exported.runs[0].files, 'a')).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    await waitFor('staging objects removed', async () => ((await stagingObjects()).length === 0 ? true : undefined), {
      timeoutMs: 15_000,
      intervalMs: 200,
    });
    // Nothing was ever staged in the uploader's folder but its own copy, which is gone too (DuckDB's spill folder
    // stays).
    expect(readdirSync(uploaderScratch).filter((name) => name !== 'uploader-spill')).toEqual([]);
  });

  it('retries an attempt whose staged window is gone from the store when the uploader reads it, and exports it exactly', async () => {
    await uploader.stop();
    const { from, to } = await produceInWindow(account.eventsTopic, values('b', 1500));
    const id = await createExport(system, account, {
      credentialId,
      type: 'all_events',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      format: 'json',
    });
    // Staged and handed over, with no uploader to take it: the objects are there, listed last.
    const objects = await waitFor(
      'window staged in the bucket',
      async () => {
        const names = await stagingObjects();
        return names.some((n) => n.endsWith('/staged.json')) ? names : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(objects.every((n) => n.startsWith('bulk-export/'))).toBe(true);
    // A JSON export's plain events are staged as their lines.
    expect(objects.filter((n) => n.endsWith('.jsonl')).length).toBeGreaterThan(0);
    // The store loses them (an operator's lifecycle rule too eager, a deleted prefix…).
    for (const name of objects) await gcs.deleteObject(staging, name);
    await uploader.start();

    const exported = await exportDone(system, account, id);
    expect(exported.runs[0].attempt).toBe(2);
    expect(await seqsOf(exported.runs[0].files, 'b')).toEqual(Array.from({ length: 1500 }, (_, i) => i));
    const [failed] = await system.db.query(
      `SELECT count(*)::int AS n FROM outbox WHERE payload->>'error' LIKE '%missing from the staging store%'`,
    );
    expect(failed.n).toBeGreaterThan(0);
    await waitFor('staging objects removed', async () => ((await stagingObjects()).length === 0 ? true : undefined), {
      timeoutMs: 15_000,
      intervalMs: 200,
    });
  });
});
