import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gcs, HttpFaultProxy, ServiceProcess, STACK, TestAccount, TestSystem, waitFor } from '@bulk-export/testing';
import { createExport, exportDone, FileBody, produceInWindow, saveCredentials } from './support/exports';
import { readJsonFile } from './support/readers';

/**
 * One export over many machines: a run fans out into extract tasks (offset ranges) and
 * write tasks (file groups) that two extractors and two uploaders share, each with a
 * scratch folder of its own and the staging in a bucket (no shared filesystem). A replica
 * killed in the middle of a task, and a staging store that refuses a write and a read, still
 * leave the bucket with exactly the produced events.
 *
 * All GCS traffic goes through a fault proxy (forwarding everything unless told otherwise).
 */
describe('one run across two extractors and two uploaders', () => {
  const EVENTS = 12_000;
  let system: TestSystem;
  let proxy: HttpFaultProxy;
  let account: TestAccount;
  let bucket: string;
  let credentialId: string;
  let staging: string;
  const replicas = new Map<string, ServiceProcess>();

  beforeAll(async () => {
    proxy = await HttpFaultProxy.inFrontOf(STACK.gcsEndpoint);
    staging = await gcs.createBucket();
    system = await TestSystem.start(
      {
        GCS_API_ENDPOINT: proxy.url,
        STAGING_URI: `gs://${staging}/bulk-export/`,
        // 3 partitions of about 4,000 events: about 6 extract tasks.
        EXTRACT_TASK_MAX_OFFSETS: '2500',
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        RUN_RETRY_BASE_MS: '300',
      },
      ['request-api', 'scheduler'],
    );
    for (const name of ['extractor', 'uploader'] as const) {
      for (const i of [1, 2]) {
        // Each replica has its own scratch folder, as on its own machine.
        replicas.set(
          `${name}-${i}`,
          new ServiceProcess(
            name,
            { ...system.env, STAGING_DIR: mkdtempSync(join(tmpdir(), `bx-${name}-${i}-`)) },
            system.logDir,
            i,
          ),
        );
      }
    }
    await Promise.all([...replicas.values()].map((r) => r.start()));
    account = await system.createAccount();
    ({ bucket, credentialId } = await saveCredentials(system, account));
  });

  afterAll(async () => {
    await Promise.all([...replicas.values()].map((r) => r.stop()));
    await system?.stop();
    await proxy?.close();
  });

  const values = (tag: string) =>
    Array.from({ length: EVENTS }, (_, seq) =>
      JSON.stringify({
        eventName: `E${seq % 4}`,
        ts: Math.floor(seq / 4) % 2 ? 20261201120000 : 20261202120000,
        profile: { identity: `u${seq}` },
        eventProps: { tag, seq },
      }),
    );
  /** Every event of the files, by its seq: each exactly once, and in its file group. */
  const exportedSeqs = async (files: FileBody[], tag: string) => {
    const seqs: number[] = [];
    for (const f of files) {
      const content = readJsonFile(await gcs.download(bucket, f.name));
      expect(content.eventName).toBe(f.eventName);
      for (const row of content.rows as { ts: number; eventProps: { tag: string; seq: number } }[]) {
        expect(row.eventProps.tag).toBe(tag);
        expect([
          `E${row.eventProps.seq % 4}`,
          Math.floor(row.eventProps.seq / 4) % 2 ? '20261201' : '20261202',
        ]).toEqual([f.eventName, f.day]);
        seqs.push(row.eventProps.seq);
      }
    }
    return seqs.sort((a, b) => a - b);
  };
  const all = Array.from({ length: EVENTS }, (_, i) => i);
  type TaskRow = {
    kind: string;
    seq: number;
    worker: string;
    task_attempt: number;
    takeovers: number;
    error: string | null;
    status: string;
  };
  const tasksOf = async (runId: string) =>
    (await system.db.query(
      `SELECT kind, seq, worker, task_attempt, takeovers, error, status FROM run_tasks WHERE run_id = $1 ORDER BY kind, seq`,
      [runId],
    )) as TaskRow[];
  /** The replica (extractor-1, …) a task's worker is: workers are named host:pid. */
  const replicaOf = (worker: string) => [...replicas].find(([, r]) => worker.endsWith(`:${r.pid}`))?.[0] ?? worker;
  const exportWindow = async (tag: string) => {
    const { from, to } = await produceInWindow(account.eventsTopic, values(tag));
    return createExport(system, account, {
      credentialId,
      type: 'all_events',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      format: 'json',
    });
  };

  it('shares one run between the replicas, each doing part of it, and exports every event exactly once', async () => {
    const done = await exportDone(system, account, await exportWindow('shared'));
    const [run] = done.runs;
    expect(run).toMatchObject({ status: 'done', attempt: 1, rowsExtracted: EVENTS, rowsWritten: EVENTS });
    expect(await exportedSeqs(run.files, 'shared')).toEqual(all);
    // Four event names on two days: eight groups, one file each (and the manifest).
    expect(run.files).toHaveLength(8);
    expect(await gcs.list(bucket)).toHaveLength(9);

    const tasks = await tasksOf(run.id);
    const extracts = tasks.filter((t) => t.kind === 'extract');
    const writes = tasks.filter((t) => t.kind === 'write');
    // Each partition's range cut in pieces of at most 2,500 offsets (kcat spreads the events at random over the 3
    // partitions).
    expect(extracts.length).toBeGreaterThanOrEqual(5);
    expect(writes).toHaveLength(8);
    expect(tasks.filter((t) => t.kind === 'finish')).toHaveLength(1);
    expect(new Set(extracts.map((t) => replicaOf(t.worker)))).toEqual(new Set(['extractor-1', 'extractor-2']));
    expect(new Set(writes.map((t) => replicaOf(t.worker)))).toEqual(new Set(['uploader-1', 'uploader-2']));
    // The staging is gone once the run is done.
    await waitFor('staging objects removed', async () => ((await gcs.list(staging)).length === 0 ? true : undefined), {
      timeoutMs: 15_000,
      intervalMs: 200,
    });
  }, 180_000);

  it('stays exact when an extractor and an uploader are killed in the middle of a task', async () => {
    const exportId = await exportWindow('killed');
    const killWhenRunning = async (kind: string, name: string) => {
      const replica = replicas.get(name)!;
      await waitFor(
        `a ${kind} task running on ${name}`,
        async () => {
          const running = (await system.db.query(
            `SELECT worker FROM run_tasks WHERE kind = $1 AND status = 'running' AND worker LIKE $2`,
            [kind, `%:${replica.pid}`],
          )) as unknown[];
          return running.length > 0 ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 10 },
      );
      await replica.kill();
    };
    await killWhenRunning('extract', 'extractor-1');
    await killWhenRunning('write', 'uploader-1');
    const done = await exportDone(system, account, exportId, 180_000);
    const [run] = done.runs;
    expect(run).toMatchObject({ status: 'done', attempt: 1, rowsWritten: EVENTS });
    expect(await exportedSeqs(run.files, 'killed')).toEqual(all);
    // The killed replicas' tasks were taken over by the others.
    const tasks = await tasksOf(run.id);
    expect(tasks.filter((t) => t.kind === 'extract' && t.takeovers === 1).map((t) => replicaOf(t.worker))).toEqual([
      'extractor-2',
    ]);
    // An uploader runs WRITE_TASKS_AT_ONCE (2) write tasks at once: one or two were taken over.
    const takenOver = tasks.filter((t) => t.kind === 'write' && t.takeovers === 1).map((t) => replicaOf(t.worker));
    expect(takenOver.length).toBeGreaterThanOrEqual(1);
    expect(new Set(takenOver)).toEqual(new Set(['uploader-2']));
    await Promise.all([replicas.get('extractor-1')!.start(), replicas.get('uploader-1')!.start()]);
  }, 300_000);

  it('stays exact when the staging store refuses a write and a read mid-run: the tasks are tried again', async () => {
    const inStaging = (url = '') => url.includes(`/b/${staging}/o`);
    let uploads = 0;
    // The third staging object written (an extract task's publish), and the first read (a write task's fetch).
    proxy.failNext(
      { kind: 'status', status: 403 },
      (req) => req.method === 'POST' && inStaging(req.url) && ++uploads === 3,
    );
    proxy.failNext(
      { kind: 'status', status: 403 },
      (req) => req.method === 'GET' && inStaging(req.url) && (req.url ?? '').includes('alt=media'),
    );
    const done = await exportDone(system, account, await exportWindow('faults'));
    const [run] = done.runs;
    expect(proxy.pending).toBe(0);
    expect(run).toMatchObject({ status: 'done', attempt: 1, rowsWritten: EVENTS });
    expect(await exportedSeqs(run.files, 'faults')).toEqual(all);
    const retried = (await tasksOf(run.id)).filter((t) => t.task_attempt === 2);
    // The refused read failed every write task waiting for that staging (one download per replica and staging).
    expect(retried.filter((t) => t.kind === 'extract')).toHaveLength(1);
    expect(retried.filter((t) => t.kind === 'write').length).toBeGreaterThanOrEqual(1);
    for (const t of retried) expect(`${t.kind}: ${t.error}`).toMatch(/403|Forbidden/i);
  }, 180_000);
});
