import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  api,
  gcs,
  kcatConsumeAll,
  kcatProduce,
  ServiceProcess,
  STACK,
  TestAccount,
  TestSystem,
  waitFor,
} from '@bulk-export/testing';
import { Kafka, logLevel } from 'kafkajs';
import { createExport, ExportBody, exportDone, RunBody, saveCredentials } from './support/exports';
import { readJsonFile } from './support/readers';

/**
 * Recurring exports with a test clock (one interval "hour" = 500 ms, so intervalHours 4
 * gives 2-second windows), three scheduler replicas, the Kafka command topic, stop,
 * retries and the profile rule — on the real stack.
 */
const HOUR_MS = 500;
const WINDOW_MS = 4 * HOUR_MS;

interface RunRow {
  id: string;
  window_start: Date;
  window_end: Date;
  status: string;
}

describe('recurring exports, scheduler and commands', () => {
  let system: TestSystem;
  let account: TestAccount;
  let bucket: string;
  let credentialId: string;
  const extraSchedulers: ServiceProcess[] = [];

  beforeAll(async () => {
    system = await TestSystem.start({
      RECURRING_INTERVAL_UNIT_MS: String(HOUR_MS),
      WINDOW_GRACE_MS: '300',
      RUN_RETRY_BASE_MS: '500',
      RUN_MAX_ATTEMPTS: '2',
    });
    for (const instance of [1, 2]) {
      const scheduler = new ServiceProcess('scheduler', system.env, system.logDir, instance);
      await scheduler.start();
      extraSchedulers.push(scheduler);
    }
    account = await system.createAccount();
    ({ bucket, credentialId } = await saveCredentials(system, account));
  });

  afterAll(async () => {
    await Promise.all(extraSchedulers.map((s) => s.stop()));
    await system?.stop();
  });

  const runsOf = async (exportId: string): Promise<RunRow[]> =>
    system.db.query(
      'SELECT id, window_start, window_end, status FROM export_runs WHERE export_id = $1 ORDER BY window_start',
      [exportId],
    );

  function expectContiguous(runs: RunRow[], start: number): void {
    expect(runs[0].window_start.getTime()).toBe(start);
    for (const [i, run] of runs.entries()) {
      expect(run.window_end.getTime() - run.window_start.getTime()).toBe(WINDOW_MS);
      if (i > 0) expect(run.window_start.getTime()).toBe(runs[i - 1].window_end.getTime());
    }
  }

  it('exports consecutive windows with no gap and no overlap, one run per window with three schedulers', async () => {
    const startAt = Date.now();
    const created = await api<ExportBody & { startAt: string; intervalHours: number }>(
      system.api,
      'POST',
      '/v1/exports',
      {
        apiKey: account.apiKey,
        body: {
          partner: 'gcp',
          credentialId,
          type: 'all_events',
          frequency: 'recurring',
          intervalHours: 4,
          startAt: new Date(startAt).toISOString(),
          format: 'json',
        },
      },
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'pending', intervalHours: 4, frequency: 'recurring' });
    const id = created.body.id;

    // Bursts of events over about three windows; each burst remembers when it was produced.
    const bursts: { from: number; to: number; seqs: number[] }[] = [];
    let seq = 0;
    while (Date.now() < startAt + 3 * WINDOW_MS) {
      const from = Date.now();
      const seqs = Array.from({ length: 25 }, () => seq++);
      await kcatProduce(
        account.eventsTopic,
        seqs.map((s) =>
          JSON.stringify({
            eventName: 'Tick',
            ts: 20261127100000,
            profile: { identity: `u${s}` },
            eventProps: { seq: s },
          }),
        ),
      );
      bursts.push({ from, to: Date.now(), seqs });
    }
    const lastProduced = Date.now();

    const runs = await waitFor(
      'windows up to the last burst done',
      async () => {
        const rows = await runsOf(id);
        const done = rows.filter((r) => r.status === 'done');
        return done.length === rows.length &&
          rows.length > 0 &&
          rows[rows.length - 1].window_end.getTime() > lastProduced
          ? rows
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expectContiguous(runs, startAt);
    // The unique key held: every window exactly once, whatever three schedulers did.
    expect(new Set(runs.map((r) => r.window_start.getTime())).size).toBe(runs.length);

    const where = new Map<number, RunRow>();
    const body = (
      await api<{ items: RunBody[] }>(system.api, 'GET', `/v1/exports/${id}/runs?limit=100`, { apiKey: account.apiKey })
    ).body;
    expect(body.items.map((r) => r.id)).toEqual([...runs].reverse().map((r) => r.id)); // newest first
    for (const run of body.items) {
      for (const file of run.files) {
        for (const row of readJsonFile(await gcs.download(bucket, file.name)).rows as {
          eventProps: { seq: number };
        }[]) {
          expect(where.has(row.eventProps.seq)).toBe(false);
          where.set(row.eventProps.seq, runs.find((r) => r.id === run.id) as RunRow);
        }
      }
    }
    expect(where.size).toBe(seq);
    for (const burst of bursts) {
      for (const s of burst.seqs) {
        const run = where.get(s) as RunRow;
        // The event is in the window that contains the moment it was produced.
        expect(run.window_start.getTime()).toBeLessThanOrEqual(burst.to);
        expect(run.window_end.getTime()).toBeGreaterThan(burst.from);
      }
    }

    const page = await api<{ items: RunBody[]; nextCursor: string }>(
      system.api,
      'GET',
      `/v1/exports/${id}/runs?limit=1`,
      { apiKey: account.apiKey },
    );
    expect(page.body.items).toHaveLength(1);
    expect(page.body.nextCursor).toBe(page.body.items[0].id);

    // Stop: no window after it; the export shows `stopped`.
    const stopped = await api<ExportBody>(system.api, 'POST', `/v1/exports/${id}/stop`, { apiKey: account.apiKey });
    expect(stopped.status).toBe(200);
    expect(stopped.body.status).toBe('stopped');
    const runsAtStop = (await runsOf(id)).length;
    // Proof that time went on: another recurring export gets two windows meanwhile.
    const witness = await createExport(system, account, {
      credentialId,
      type: 'all_events',
      frequency: 'recurring',
      intervalHours: 4,
      format: 'json',
    });
    await waitFor('two windows of another export', async () => (await runsOf(witness)).length >= 2 || undefined, {
      timeoutMs: 30_000,
    });
    expect((await runsOf(id)).length).toBe(runsAtStop);
    await api(system.api, 'POST', `/v1/exports/${witness}/stop`, { apiKey: account.apiKey });
  });

  it('catches up the windows it missed while the scheduler was down, oldest first', async () => {
    const schedulers = [system.service('scheduler'), ...extraSchedulers];
    await Promise.all(schedulers.map((s) => s.stop()));
    const startAt = Date.now() - 5 * WINDOW_MS;
    const id = await createExport(system, account, {
      credentialId,
      type: 'all_events',
      frequency: 'recurring',
      intervalHours: 4,
      startAt: new Date(startAt).toISOString(),
      format: 'json',
    });
    expect(await runsOf(id)).toEqual([]);
    await Promise.all(schedulers.map((s) => s.start()));
    const runs = await waitFor(
      'five missed windows done',
      async () => {
        const rows = await runsOf(id);
        return rows.filter((r) => r.status === 'done').length >= 5 ? rows : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expectContiguous(runs, startAt);
    const byCreation = [...runs].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(byCreation.map((r) => r.window_start.getTime())).toEqual(runs.map((r) => r.window_start.getTime()));
    await api(system.api, 'POST', `/v1/exports/${id}/stop`, { apiKey: account.apiKey });
  });

  it('refuses a one-time profile export while a recurring one is scheduled (409, naming it)', async () => {
    const recurring = await createExport(system, account, {
      credentialId,
      type: 'all_profiles',
      frequency: 'recurring',
      intervalHours: 24,
      format: 'json',
    });
    const window = { from: new Date(Date.now() - 60_000).toISOString(), to: new Date().toISOString() };
    const refused = await api<{ code: string; message: string }>(system.api, 'POST', '/v1/exports', {
      apiKey: account.apiKey,
      body: { partner: 'gcp', credentialId, type: 'all_profiles', frequency: 'one_time', ...window, format: 'json' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain(recurring);
    expect((await api(system.api, 'POST', `/v1/exports/${recurring}/stop`, { apiKey: account.apiKey })).status).toBe(
      200,
    );
    const accepted = await api(system.api, 'POST', '/v1/exports', {
      apiKey: account.apiKey,
      body: { partner: 'gcp', credentialId, type: 'all_profiles', frequency: 'one_time', ...window, format: 'json' },
    });
    expect(accepted.status).toBe(201);
  });

  it('retries a failed run with backoff, stays failed with the reason, and retries by hand, reading the same offsets each time', async () => {
    const { bucket: doomed, credentialId: doomedCredentials } = await saveCredentials(system, account);
    await fetch(`${STACK.gcsEndpoint}/storage/v1/b/${doomed}`, { method: 'DELETE' });
    const from = Date.now() - 1000;
    const junk = `retry junk ${Date.now()}`;
    await kcatProduce(account.eventsTopic, [
      JSON.stringify({ eventName: 'Retry Me', ts: 20261127100000, profile: { identity: 'r' }, eventProps: {} }),
      junk,
    ]);
    const to = Date.now();
    const id = await createExport(system, account, {
      credentialId: doomedCredentials,
      type: 'select_events',
      events: ['Retry Me'],
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      format: 'json',
    });
    const failed = await waitFor(
      'export failed',
      async () => {
        const res = await api<ExportBody>(system.api, 'GET', `/v1/exports/${id}`, { apiKey: account.apiKey });
        return res.body.status === 'failed' ? res.body : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(failed.runs[0]).toMatchObject({ status: 'failed', attempt: 2 });
    expect(failed.runs[0].error).toBeTruthy();
    expect(failed.error).toBe(failed.runs[0].error);
    // Both attempts' staging is gone: a run that failed for good keeps nothing on the shared volume.
    await waitFor(
      "the failed run's staging removed",
      async () => !existsSync(join(system.env.STAGING_DIR, failed.runs[0].id)),
    );

    // A late message stamped inside the window arrives after the first attempt read it. A fresh
    // lookup of the window's end would now take it in; the next window (had there been one) may
    // already have started from the recorded end, so the retry must read what the run recorded.
    const producer = new Kafka({
      clientId: 'late-producer',
      brokers: [STACK.kafkaBrokers],
      logLevel: logLevel.NOTHING,
    }).producer();
    await producer.connect();
    await producer.send({
      topic: account.eventsTopic,
      messages: [
        {
          value: JSON.stringify({
            eventName: 'Retry Me',
            ts: 20261127100001,
            profile: { identity: 'late' },
            eventProps: {},
          }),
          timestamp: String(from + 500),
        },
      ],
    });
    await producer.disconnect();

    await gcs.createBucket(doomed);
    const retried = await api<RunBody>(system.api, 'POST', `/v1/exports/${id}/runs/${failed.runs[0].id}/retry`, {
      apiKey: account.apiKey,
    });
    expect(retried.status).toBe(202);
    expect(retried.body.attempt).toBe(3);
    const done = await exportDone(system, account, id);
    expect(done.runs[0]).toMatchObject({ status: 'done', attempt: 3, rowsWritten: 1 });
    // Three attempts staged the window; its malformed message was dead-lettered once.
    const dead = await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.dead-letter`);
    expect(dead.filter((m) => m.value === junk)).toHaveLength(1);
    const again = await api<{ code: string }>(system.api, 'POST', `/v1/exports/${id}/runs/${failed.runs[0].id}/retry`, {
      apiKey: account.apiKey,
    });
    expect(again.status).toBe(409);
  });

  it('does not retry a run that was under way when its export was stopped and then failed', async () => {
    const { bucket: doomed, credentialId: doomedCredentials } = await saveCredentials(system, account);
    await fetch(`${STACK.gcsEndpoint}/storage/v1/b/${doomed}`, { method: 'DELETE' });
    // With the uploader down, the run stays `running` once it is staged.
    const uploader = system.service('uploader');
    await uploader.stop();
    try {
      const id = await createExport(system, account, {
        credentialId: doomedCredentials,
        type: 'all_events',
        frequency: 'recurring',
        intervalHours: 4,
        startAt: new Date(Date.now() - WINDOW_MS - 1000).toISOString(),
        format: 'json',
      });
      const [staged] = await waitFor('the first run staged', async () => {
        const rows: { id: string; status: string }[] = await system.db.query(
          `SELECT id, status FROM export_runs WHERE export_id = $1 AND offsets IS NOT NULL`,
          [id],
        );
        return rows.length > 0 ? rows : undefined;
      });
      expect(staged.status).toBe('running');
      expect((await api(system.api, 'POST', `/v1/exports/${id}/stop`, { apiKey: account.apiKey })).status).toBe(200);
      await uploader.start();
      const failed = await waitFor(
        'the run failed for good',
        async () => {
          const [row]: { status: string; error: string; next_attempt_at: Date | null }[] = await system.db.query(
            'SELECT status, error, next_attempt_at FROM export_runs WHERE id = $1',
            [staged.id],
          );
          return row.status === 'failed' ? row : undefined;
        },
        { timeoutMs: 30_000 },
      );
      expect(failed.error).toContain('not retried: the export was stopped');
      expect(failed.next_attempt_at).toBeNull();
      expect((await runsOf(id)).map((r) => r.status)).toEqual(['failed']);
    } finally {
      if (!uploader.pid) await uploader.start();
    }
  });

  it('takes create-export and stop-export commands from Kafka; a duplicate creates nothing new; invalid ones are answered and dead-lettered', async () => {
    const commands = `${system.env.TOPIC_PREFIX}export.commands`;
    const key = `cmd-${Date.now()}`;
    const create = JSON.stringify({
      version: 1,
      type: 'create-export',
      accountId: account.id,
      idempotencyKey: key,
      export: {
        partner: 'gcp',
        credentialId,
        type: 'all_events',
        frequency: 'recurring',
        intervalHours: 6,
        format: 'csv',
      },
    });
    const invalid = JSON.stringify({
      version: 1,
      type: 'create-export',
      accountId: account.id,
      idempotencyKey: `${key}-bad`,
      export: {
        partner: 'gcp',
        credentialId,
        type: 'all_events',
        frequency: 'recurring',
        intervalHours: 3,
        format: 'yaml',
      },
    });
    await kcatProduce(commands, [create, create, invalid, '{not json']);

    type Result = {
      type: string;
      command: string;
      status: string;
      idempotencyKey?: string;
      exportId?: string;
      errors?: { field: string; message: string }[];
    };
    const results = await waitFor('four command results', async () => {
      const all = (await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.events`))
        .map((m) => JSON.parse(m.value) as Result)
        .filter((r) => r.type === 'command-result');
      return all.length >= 4 ? all : undefined;
    });
    const accepted = results.filter((r) => r.idempotencyKey === key);
    expect(accepted.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    expect(accepted[0].exportId).toBe(accepted[1].exportId);
    const rows = await system.db.query('SELECT id, format, interval_hours FROM exports WHERE idempotency_key = $1', [
      key,
    ]);
    expect(rows).toEqual([{ id: accepted[0].exportId, format: 'csv', interval_hours: 6 }]);

    const rejected = results.find((r) => r.idempotencyKey === `${key}-bad`) as Result;
    expect(rejected.status).toBe('rejected');
    expect(rejected.errors?.map((e) => e.field).sort()).toEqual(['export.format', 'export.intervalHours']);
    expect(results.some((r) => r.command === 'unknown' && r.status === 'rejected')).toBe(true);
    const dead = await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.dead-letter`);
    expect(dead.map((m) => m.value)).toEqual(expect.arrayContaining([invalid, '{not json']));

    await kcatProduce(commands, [
      JSON.stringify({ version: 1, type: 'stop-export', accountId: account.id, exportId: accepted[0].exportId }),
    ]);
    await waitFor('export stopped by command', async () => {
      const res = await api<ExportBody>(system.api, 'GET', `/v1/exports/${accepted[0].exportId}`, {
        apiKey: account.apiKey,
      });
      return res.body.status === 'stopped' || undefined;
    });
    // The service is still up after all of that.
    expect((await fetch(`${system.api}/health/ready`)).status).toBe(200);
  });
});
