import { parseFileName } from '@bulk-export/formats';
import {
  api,
  clockPast,
  createTopic,
  gcs,
  kcatConsumeAll,
  kcatProduce,
  TestAccount,
  TestSystem,
  waitFor,
} from '@bulk-export/testing';
import { createExport, ExportBody, exportDone, produceInWindow, saveCredentials } from './support/exports';
import { Json, readJsonFile } from './support/readers';

/**
 * The export options customers of the platform expect, on the real stack: a folder per
 * export (`prefix`), a file size per export (`maxFileMb`), profiles that keep their identity,
 * incremental recurring profile exports with deletions, and auto-pause with resume.
 * Recurring windows use a test clock: one interval "hour" is 1 s, so intervalHours 4 gives 4-second windows.
 */
const HOUR_MS = 1000;
const WINDOW_MS = 4 * HOUR_MS;

interface RunRow {
  id: string;
  window_start: Date;
  status: string;
  error: string | null;
}

describe('export options: folder, file size, profile identity, incremental profiles, auto-pause', () => {
  let system: TestSystem;
  let account: TestAccount;
  let bucket: string;
  let credentialId: string;
  let profilesTopic: string;

  beforeAll(async () => {
    system = await TestSystem.start({
      RECURRING_INTERVAL_UNIT_MS: String(HOUR_MS),
      WINDOW_GRACE_MS: '300',
      RUN_RETRY_BASE_MS: '300',
      RUN_MAX_ATTEMPTS: '1',
      AUTO_PAUSE_AFTER_FAILED_RUNS: '3',
    });
    account = await system.createAccount();
    ({ bucket, credentialId } = await saveCredentials(system, account));
    profilesTopic = system.env.PROFILES_TOPIC_TEMPLATE.replace('{accountId}', account.id);
    await createTopic({
      topic: profilesTopic,
      numPartitions: 2,
      configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
    });
  });

  afterAll(async () => {
    await system?.stop();
  });

  const getExport = async (id: string) =>
    (
      await api<ExportBody & { prefix?: string; pausedAt?: string }>(system.api, 'GET', `/v1/exports/${id}`, {
        apiKey: account.apiKey,
      })
    ).body;
  const runsOf = async (exportId: string): Promise<RunRow[]> =>
    system.db.query(
      'SELECT id, window_start, status, error FROM export_runs WHERE export_id = $1 ORDER BY window_start',
      [exportId],
    );
  const rowsOfRun = async (exportId: string, runId: string): Promise<Record<string, Json>[]> => {
    const run = (await getExport(exportId)).runs.find((r) => r.id === runId);
    const rows: Record<string, Json>[] = [];
    for (const f of run?.files ?? [])
      rows.push(...(readJsonFile(await gcs.download(bucket, f.name)).rows as Record<string, Json>[]));
    return rows;
  };

  it('puts every file and the manifest of an export under its folder, and refuses a folder that could escape', async () => {
    for (const [prefix, message] of [
      ['../up', /"\.\."/],
      ['/abs', /leading/],
      ['a//b', /empty segment/],
      ['ctl\u0001', /control/],
      ['x'.repeat(513), /512 bytes/],
    ] as const) {
      const res = await api<{ code: string; field: string; message: string }>(system.api, 'POST', '/v1/exports', {
        apiKey: account.apiKey,
        body: {
          partner: 'gcp',
          credentialId,
          type: 'all_events',
          frequency: 'one_time',
          from: new Date(Date.now() - 60_000).toISOString(),
          to: new Date().toISOString(),
          format: 'json',
          prefix,
        },
      });
      expect([res.status, res.body.code, res.body.field]).toEqual([400, 'invalid_field', 'prefix']);
      expect(res.body.message).toMatch(message);
    }

    const { from, to } = await produceInWindow(
      account.eventsTopic,
      ['A', 'B', 'A'].map((eventName, i) =>
        JSON.stringify({ eventName, ts: 20261201120000 + i, profile: { identity: `u${i}` }, eventProps: { i } }),
      ),
    );
    const id = await createExport(system, account, {
      credentialId,
      type: 'all_events',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      format: 'json',
      prefix: 'clevertap/exports',
    });
    const exported = await exportDone(system, account, id);
    expect((exported as ExportBody & { prefix: string }).prefix).toBe('clevertap/exports/');
    const names = (await gcs.list(bucket)).map((o) => o.name).filter((n) => n.includes(id));
    expect(names.length).toBe(3); // two groups and the manifest
    for (const name of names) expect(name.startsWith(`clevertap/exports/${id}-`)).toBe(true);
    expect(names.filter((n) => n.endsWith('-manifest.json'))).toHaveLength(1);
    expect(exported.runs[0].files.map((f) => f.name).sort()).toEqual(
      names.filter((n) => !n.endsWith('manifest.json')).sort(),
    );
    for (const f of exported.runs[0].files)
      expect(parseFileName(f.name.slice('clevertap/exports/'.length)).requestId).toBe(id);
  });

  it('never writes a file larger than the export asks for (maxFileMb), and loses no row', async () => {
    const invalid = await api<{ errors: { field: string }[] }>(system.api, 'POST', '/v1/exports', {
      apiKey: account.apiKey,
      body: {
        partner: 'gcp',
        credentialId,
        type: 'all_events',
        frequency: 'one_time',
        from: new Date(Date.now() - 60_000).toISOString(),
        to: new Date().toISOString(),
        format: 'json',
        maxFileMb: 101,
      },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.map((e) => e.field)).toEqual(['maxFileMb']);

    const pad = 'p'.repeat(900);
    const values = Array.from({ length: 3000 }, (_, seq) =>
      JSON.stringify({
        eventName: 'Big',
        ts: 20261201120000,
        profile: { identity: `u${seq}` },
        eventProps: { seq, pad },
      }),
    );
    const { from, to } = await produceInWindow(account.eventsTopic, values);
    const id = await createExport(system, account, {
      credentialId,
      type: 'all_events',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      format: 'json',
      maxFileMb: 1,
    });
    const exported = await exportDone(system, account, id);
    const files = exported.runs[0].files;
    expect(files.length).toBeGreaterThanOrEqual(3);
    expect(files.map((f) => f.index)).toEqual(files.map((_, i) => i));
    for (const f of files) expect(f.bytes).toBeLessThanOrEqual(1024 * 1024);
    const seqs: number[] = [];
    for (const f of files) {
      const object = (await gcs.list(bucket)).find((o) => o.name === f.name);
      expect(object?.size).toBe(f.bytes);
      for (const row of readJsonFile(await gcs.download(bucket, f.name)).rows as { eventProps: { seq: number } }[])
        seqs.push(row.eventProps.seq);
    }
    expect(seqs.sort((a, b) => a - b)).toEqual(values.map((_, i) => i));
  });

  it('gives every profile its identity from the message key', async () => {
    const from = Date.now() + 1;
    await clockPast(from);
    await kcatProduce(
      profilesTopic,
      ['{"name":"one","plan":"paid"}', '{"identity":"own","name":"two"}', '{}'],
      ['k1', 'k2', 'k3'],
    );
    const to = Date.now() + 1;
    await clockPast(to);
    const id = await createExport(system, account, {
      credentialId,
      type: 'all_profiles',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      format: 'json',
    });
    const exported = await exportDone(system, account, id);
    const rows = await rowsOfRun(id, exported.runs[0].id);
    expect(rows.map((r) => r.profile).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
      { identity: 'k1', name: 'one', plan: 'paid' },
      { identity: 'k3' },
      { identity: 'own', name: 'two' },
    ]);
    // Stop for the next test: a recurring profile export of this account must be the only one.
    await kcatProduce(profilesTopic, [null, null, null], ['k1', 'k2', 'k3']);
  });

  it('exports, window after window, only the profiles captured in it, with deletions; a snapshot export writes them all', async () => {
    const startAt = Date.now();
    const body = {
      partner: 'gcp',
      credentialId,
      type: 'all_profiles',
      frequency: 'recurring',
      intervalHours: 4,
      startAt: new Date(startAt).toISOString(),
      format: 'json',
    };
    const incremental = await api<ExportBody & { profileMode: string }>(system.api, 'POST', '/v1/exports', {
      apiKey: account.apiKey,
      body,
    });
    expect([incremental.status, incremental.body.profileMode]).toEqual([201, 'incremental']);
    // One recurring profile export per account is the rule for one-time ones only: a snapshot alongside is allowed.
    const snapshot = await api<ExportBody & { profileMode: string }>(system.api, 'POST', '/v1/exports', {
      apiKey: account.apiKey,
      body: { ...body, profileMode: 'snapshot' },
    });
    expect([snapshot.status, snapshot.body.profileMode]).toEqual([201, 'snapshot']);
    const wrongMode = await api<{ field: string }>(system.api, 'POST', '/v1/exports', {
      apiKey: account.apiKey,
      body: {
        partner: 'gcp',
        credentialId,
        type: 'all_events',
        frequency: 'recurring',
        intervalHours: 4,
        format: 'json',
        profileMode: 'snapshot',
      },
    });
    expect([wrongMode.status, wrongMode.body.field]).toEqual([400, 'profileMode']);

    // Window 1: a and b; window 2: a changes, b is deleted, c is new.
    await kcatProduce(profilesTopic, ['{"v":1}', '{"v":1}'], ['a', 'b']);
    expect(Date.now()).toBeLessThan(startAt + WINDOW_MS - 500);
    await clockPast(startAt + WINDOW_MS + 50);
    await kcatProduce(profilesTopic, ['{"v":0}', '{"v":2}', null, '{"v":1}'], ['a', 'a', 'b', 'c']);
    expect(Date.now()).toBeLessThan(startAt + 2 * WINDOW_MS - 500);

    const twoDone = async (id: string) =>
      waitFor(
        `two windows of ${id} done`,
        async () => {
          const runs = await runsOf(id);
          return runs.length >= 2 && runs[0].status === 'done' && runs[1].status === 'done' ? runs : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
    const sorted = (rows: Record<string, Json>[]) =>
      rows.map(({ ts: _ts, ...r }) => r).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));

    const [first, second] = await twoDone(incremental.body.id);
    expect(sorted(await rowsOfRun(incremental.body.id, first.id))).toEqual([
      { profile: { identity: 'a', v: 1 } },
      { profile: { identity: 'b', v: 1 } },
    ]);
    expect(sorted(await rowsOfRun(incremental.body.id, second.id))).toEqual([
      { profile: { identity: 'a', v: 2 } },
      { profile: { identity: 'b' }, deleted: true },
      { profile: { identity: 'c', v: 1 } },
    ]);

    const [firstSnapshot, secondSnapshot] = await twoDone(snapshot.body.id);
    expect(sorted(await rowsOfRun(snapshot.body.id, firstSnapshot.id))).toEqual([
      { profile: { identity: 'a', v: 1 } },
      { profile: { identity: 'b', v: 1 } },
    ]);
    expect(sorted(await rowsOfRun(snapshot.body.id, secondSnapshot.id))).toEqual([
      { profile: { identity: 'a', v: 2 } },
      { profile: { identity: 'c', v: 1 } },
    ]);

    for (const id of [incremental.body.id, snapshot.body.id])
      expect((await api(system.api, 'POST', `/v1/exports/${id}/stop`, { apiKey: account.apiKey })).status).toBe(200);
  });

  it('pauses a recurring export whose last three runs failed, says why, and resumes it once its bucket is back', async () => {
    const failing = await gcs.createBucket();
    const saved = await saveCredentials(system, account, failing);
    const startAt = Date.now();
    const id = await createExport(system, account, {
      credentialId: saved.credentialId,
      type: 'all_events',
      frequency: 'recurring',
      intervalHours: 4,
      startAt: new Date(startAt).toISOString(),
      format: 'json',
    });
    await gcs.deleteBucket(failing);

    const paused = await waitFor(
      'export paused',
      async () => {
        const e = await getExport(id);
        return e.status === 'paused' ? e : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    expect(paused.error).toMatch(/^paused after 3 runs in a row failed; the last one failed because: .*not found/i);
    expect(paused.pausedAt).toBeDefined();
    const runs = await runsOf(id);
    expect(runs.filter((r) => r.status === 'failed')).toHaveLength(3);
    // No window after the pause while it lasts.
    await clockPast(Date.now() + 2 * WINDOW_MS);
    expect(await runsOf(id)).toHaveLength(runs.length);
    const events = (await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.events`))
      .map((m) => JSON.parse(m.value) as { exportId?: string; runId?: string; status?: string; error?: string })
      .filter((e) => e.exportId === id && !e.runId && e.status === 'paused');
    expect(events).toHaveLength(1);
    expect(events[0].error).toBe(paused.error);

    // Resume validates the credentials again: the bucket is still gone.
    const refused = await api<{ code: string }>(system.api, 'POST', `/v1/exports/${id}/resume`, {
      apiKey: account.apiKey,
    });
    expect([refused.status, refused.body.code]).toEqual([422, 'bucket_not_found']);
    await gcs.createBucket(failing);
    const produced = await produceInWindow(account.eventsTopic, [
      JSON.stringify({ eventName: 'After', ts: 20261201120000, profile: { identity: 'u' }, eventProps: {} }),
    ]);
    const resumed = await api<ExportBody>(system.api, 'POST', `/v1/exports/${id}/resume`, { apiKey: account.apiKey });
    expect([resumed.status, resumed.body.status]).toEqual([200, 'pending']);
    expect(
      (await api<{ code: string }>(system.api, 'POST', `/v1/exports/${id}/resume`, { apiKey: account.apiKey })).status,
    ).toBe(409);

    // The windows it missed are exported, the one with the new event among them.
    const objects = await waitFor(
      'the missed windows exported',
      async () => {
        const after = (await runsOf(id)).filter(
          (r) => r.window_start.getTime() > runs[runs.length - 1].window_start.getTime(),
        );
        const files = (await gcs.list(failing)).filter((o) => o.name.includes('-After-'));
        return files.length > 0 && after.length > 0 && after.every((r) => r.status === 'done') ? files : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(objects).toHaveLength(1);
    expect(produced.to).toBeGreaterThan(startAt);
    expect((await api(system.api, 'POST', `/v1/exports/${id}/stop`, { apiKey: account.apiKey })).status).toBe(200);
  });
});
