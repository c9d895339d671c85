import { readFileSync } from 'node:fs';
import { fileName, parseFileName } from '@bulk-export/formats';
import { api, gcs, ServiceProcess, TestAccount, TestSystem, waitFor } from '@bulk-export/testing';
import { produceInWindow, saveCredentials } from './support/exports';

/**
 * Crashes at the worst moments: a SIGKILLed extractor while it reads a window, a
 * SIGKILLed uploader while it uploads files, an uploader stalled (SIGSTOP) until another
 * took its tasks over, an object written by someone else under a write task's feet. The export still ends `done` with
 * every event exactly once, and a
 * retried upload rewrites the same file names.
 */
interface RunBody {
  id: string;
  status: string;
  attempt: number;
  rowsWritten: number;
  files: { name: string; rows: number }[];
}
interface ExportBody {
  id: string;
  status: string;
  runs: RunBody[];
}

const EVENTS = 60_000;

describe('faults: services killed mid-run', () => {
  let system: TestSystem;
  let account: TestAccount;
  let bucket: string;
  let credentialId: string;
  let from: number;
  let to: number;

  beforeAll(async () => {
    system = await TestSystem.start({ MAX_FILE_BYTES: String(64 * 1024), KAFKA_SESSION_TIMEOUT_MS: '6000' });
    account = await system.createAccount();
    ({ bucket, credentialId } = await saveCredentials(system, account));
    const names = ['App Launched', 'Charged', 'Product Viewed'];
    ({ from, to } = await produceInWindow(
      account.eventsTopic,
      Array.from({ length: EVENTS }, (_, i) =>
        JSON.stringify({
          eventName: names[i % 3],
          ts: 20261127000000 + (i % 2) * 1000000,
          profile: { identity: `u${i}` },
          eventProps: { seq: i, pad: 'x'.repeat(100) },
        }),
      ),
    ));
  });

  afterAll(async () => {
    await system?.stop();
  });

  async function createExport(): Promise<string> {
    const res = await api<ExportBody>(system.api, 'POST', '/v1/exports', {
      apiKey: account.apiKey,
      body: {
        partner: 'gcp',
        credentialId,
        type: 'all_events',
        frequency: 'one_time',
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        format: 'json',
      },
    });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  async function runStatus(exportId: string): Promise<{ status: string; files_count: number } | undefined> {
    const rows = await system.db.query('SELECT status, files_count FROM export_runs WHERE export_id = $1', [exportId]);
    return rows[0];
  }

  /** Every event exactly once across the export's files; indexes contiguous per (event, day). */
  async function expectExactlyOnce(exportId: string, maxFileBytes = 64 * 1024): Promise<ExportBody> {
    const done = await waitFor(
      'export done',
      async () => {
        const res = await api<ExportBody>(system.api, 'GET', `/v1/exports/${exportId}`, { apiKey: account.apiKey });
        if (res.body.status === 'failed') throw new Error(`failed: ${JSON.stringify(res.body.runs[0])}`);
        return res.body.status === 'done' ? res.body : undefined;
      },
      { timeoutMs: 120_000 },
    );
    const objects = (await gcs.list(bucket)).filter(
      (o) => o.name.startsWith(exportId) && !o.name.endsWith('-manifest.json'),
    );
    expect(objects.map((o) => o.name).sort()).toEqual(done.runs[0].files.map((f) => f.name).sort());
    const seen = new Set<number>();
    const indexes = new Map<string, number[]>();
    for (const o of objects) {
      const parts = parseFileName(o.name);
      const key = `${parts.eventName}/${parts.day}`;
      indexes.set(key, [...(indexes.get(key) ?? []), parts.index]);
      expect(o.size).toBeLessThanOrEqual(maxFileBytes);
      const lines = (await gcs.download(bucket, o.name)).toString().trim().split('\n').slice(1);
      for (const line of lines) {
        const seq = JSON.parse(line).eventProps.seq as number;
        expect(seen.has(seq)).toBe(false);
        seen.add(seq);
      }
    }
    expect(seen.size).toBe(EVENTS);
    for (const list of indexes.values()) expect(list.sort((a, b) => a - b)).toEqual(list.map((_, i) => i));
    return done;
  }

  it('survives the extractor being killed while it reads the window', async () => {
    const extractor = system.service('extractor');
    const exportId = await createExport();
    await waitFor('run running', async () => (await runStatus(exportId))?.status === 'running', { intervalMs: 5 });
    await extractor.kill();
    await extractor.start();
    await expectExactlyOnce(exportId);
  });

  it('survives the uploader being killed while it uploads, rewriting the same names', async () => {
    const uploader = system.service('uploader');
    const exportId = await createExport();
    await waitFor(
      'some files uploaded',
      async () => (await gcs.list(bucket)).filter((o) => o.name.startsWith(exportId)).length >= 3,
      { intervalMs: 20 },
    );
    await uploader.kill();
    const before = (await gcs.list(bucket)).filter((o) => o.name.startsWith(exportId)).map((o) => o.name);
    expect((await runStatus(exportId))?.status).toBe('running');
    await uploader.start();
    await expectExactlyOnce(exportId);
    const after = (await gcs.list(bucket)).filter((o) => o.name.startsWith(exportId)).map((o) => o.name);
    for (const name of before) expect(after).toContain(name);
  });

  it('removes the files an earlier attempt wrote that the retry does not, when the retry cuts files differently', async () => {
    const uploader = system.service('uploader');
    const exportId = await createExport();
    // Killed once a group has files beyond what it will have with four times the file size.
    await waitFor(
      'a file with index 8 uploaded',
      async () =>
        (await gcs.list(bucket)).some(
          (o) => o.name.startsWith(exportId) && !o.name.endsWith('-manifest.json') && parseFileName(o.name).index >= 8,
        ),
      { intervalMs: 20 },
    );
    await uploader.kill();
    // The uploader comes back with another MAX_FILE_BYTES (a new configuration, or a new version cutting files
    // differently).
    const bigger = new ServiceProcess(
      'uploader',
      { ...system.env, MAX_FILE_BYTES: String(256 * 1024) },
      system.logDir,
      1,
    );
    await bigger.start();
    try {
      const done = await expectExactlyOnce(exportId, 256 * 1024);
      expect(Math.max(...done.runs[0].files.map((f) => parseFileName(f.name).index))).toBeLessThan(8);
    } finally {
      await bigger.stop();
      await uploader.start();
    }
  });

  it('keeps an uploader that stalled and lost the run from overwriting the files of the one that took it over', async () => {
    const stalled = system.service('uploader');
    const exportId = await createExport();
    await waitFor(
      'some files uploaded',
      async () => (await gcs.list(bucket)).filter((o) => o.name.startsWith(exportId)).length >= 3,
      { intervalMs: 20 },
    );
    // Stalled mid-run (a long pause, a partition): its session ends and the command goes to another uploader,
    // which cuts the files differently (half the size), so the same names hold other bytes.
    process.kill(stalled.pid, 'SIGSTOP');
    const other = new ServiceProcess(
      'uploader',
      { ...system.env, MAX_FILE_BYTES: String(32 * 1024) },
      system.logDir,
      2,
    );
    try {
      await other.start();
      const done = await expectExactlyOnce(exportId, 32 * 1024);
      // The stalled uploader wakes up and goes on: the run's files were rewritten (newer generations) and its
      // folder removed, so its attempt fails; it may neither overwrite the files nor complete the run.
      const logged = readFileSync(stalled.logPath, 'utf8').length;
      process.kill(stalled.pid, 'SIGCONT');
      // Its write task's try fails (an upload's precondition) or its result is refused (the claim was replaced).
      await waitFor(
        'the stalled uploader stopped its task',
        async () => {
          const log = readFileSync(stalled.logPath, 'utf8').slice(logged);
          return log.includes('"msg":"task failed"') || log.includes('"recorded":false');
        },
        { timeoutMs: 60_000 },
      );
      const manifest = JSON.parse(
        (
          await gcs.download(
            bucket,
            (await gcs.list(bucket)).find((o) => o.name.startsWith(exportId) && o.name.endsWith('-manifest.json'))!
              .name,
          )
        ).toString(),
      );
      const objects = new Map((await gcs.list(bucket)).map((o) => [o.name, o.crc32c]));
      for (const file of manifest.files as { name: string; crc32c: string }[])
        expect(objects.get(file.name)).toBe(file.crc32c);
      expect(await expectExactlyOnce(exportId, 32 * 1024)).toEqual(done);
    } finally {
      if (stalled.pid) process.kill(stalled.pid, 'SIGCONT');
      await other.stop();
      // Its consumer, fenced out of the group while it stalled, ends the service (an orchestrator restarts it).
      if (!stalled.pid) await stalled.start();
    }
  });

  it("stops a write task's try when another worker wrote one of its objects since it began, and the retry writes it again", async () => {
    const uploader = system.service('uploader');
    const exportId = await createExport();
    await waitFor(
      'some files uploaded',
      async () => (await gcs.list(bucket)).filter((o) => o.name.startsWith(exportId)).length >= 3,
      { intervalMs: 20 },
    );
    // Held still in the middle of a write task (about 30 files a group), while an object appears twelve files ahead of
    // it.
    process.kill(uploader.pid, 'SIGSTOP');
    let foreign: string;
    try {
      const [running] = (await system.db.query(
        `SELECT t.spec FROM run_tasks t JOIN export_runs r ON r.id = t.run_id WHERE r.export_id = $1 AND t.kind = 'write' AND t.status = 'running' ORDER BY t.seq LIMIT 1`,
        [exportId],
      )) as { spec: { eventName: string; day: string } }[];
      const written = (await gcs.list(bucket))
        .map((o) => o.name)
        .filter((n) => n.startsWith(exportId) && !n.endsWith('-manifest.json'))
        .map(parseFileName);
      const indexes = written
        .filter((p) => p.eventName === running.spec.eventName && p.day === running.spec.day)
        .map((p) => p.index);
      foreign = fileName({
        ...written[0],
        eventName: running.spec.eventName,
        day: running.spec.day,
        index: Math.max(-1, ...indexes) + 12,
      });
      await gcs.upload(bucket, foreign, '{"written by":"another worker"}');
    } finally {
      process.kill(uploader.pid, 'SIGCONT');
    }
    const done = await expectExactlyOnce(exportId);
    expect(done.runs[0].attempt).toBe(1);
    expect(readFileSync(uploader.logPath, 'utf8')).toContain(
      `object ${foreign} was written by another worker while this attempt ran (it is no longer absent)`,
    );
    const retried = (await system.db.query(
      `SELECT t.task_attempt FROM run_tasks t JOIN export_runs r ON r.id = t.run_id WHERE r.export_id = $1 AND t.kind = 'write' AND t.task_attempt = 2`,
      [exportId],
    )) as unknown[];
    expect(retried).toHaveLength(1);
  });

  it('fails, with why, an attempt whose every worker stopped before finishing it, and the retry exports the window', async () => {
    const extractor = system.service('extractor');
    await extractor.stop();
    let exportId = '';
    try {
      exportId = await createExport();
      // RUN_MAX_TAKEOVERS (3) workers already took this attempt and died; the command comes again.
      const [run] = await waitFor('the run emitted', async () => {
        const rows = await system.db.query(`SELECT id FROM export_runs WHERE export_id = $1`, [exportId]);
        return rows.length ? (rows as { id: string }[]) : undefined;
      });
      await system.db.query(
        `UPDATE export_runs SET status = 'running', claim = 'a-worker-that-died', takeovers = 3 WHERE id = $1`,
        [run.id],
      );
    } finally {
      await extractor.start();
    }
    const done = await expectExactlyOnce(exportId);
    expect(done.runs[0]).toMatchObject({ status: 'done', attempt: 2 });
    const log = readFileSync(extractor.logPath, 'utf8');
    expect(log).toContain('attempt taken over too often; it fails');
    expect(log).toMatch(/"reason":"the extractor working on this attempt stopped 4 times before finishing it/);
  });
});
