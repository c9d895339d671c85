import { parseFileName } from '@bulk-export/formats';
import {
  api,
  gcs,
  HttpFaultProxy,
  HttpProbe,
  kcatConsumeAll,
  STACK,
  TcpFaultProxy,
  OwnKafka,
  ProbeAnswer,
  TestAccount,
  TestSystem,
  waitFor,
  withPostgresStopped,
} from '@bulk-export/testing';
import { ExportBody, produceInWindow, saveCredentials } from './support/exports';

/**
 * Dependencies going away in the middle of a run: the Kafka broker killed for 30 s during
 * extraction and during upload (a broker of the test's own), Postgres stopped during
 * extraction and during upload (the shared one, always started again). Each export still
 * ends `done` with every produced event exactly once in the bucket, and a REST probe polled
 * through the outage got an answer to every request, within 2 s. Also fake-gcs-server
 * unreachable for 20 s during upload (behind a TCP proxy of the test's own), and services
 * killed while idle.
 */
const EVENTS = 30_000;

interface Setup {
  system: TestSystem;
  account: TestAccount;
  bucket: string;
  credentialId: string;
  from: number;
  to: number;
}

async function setUp(overrides: Record<string, string>, brokers?: string): Promise<Setup> {
  const system = await TestSystem.start({
    MAX_FILE_BYTES: String(32 * 1024),
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    ...overrides,
  });
  const account = await system.createAccount();
  const { bucket, credentialId } = await saveCredentials(system, account);
  const names = ['App Launched', 'Charged'];
  const { from, to } = await produceInWindow(
    account.eventsTopic,
    Array.from({ length: EVENTS }, (_, i) =>
      JSON.stringify({
        eventName: names[i % 2],
        ts: 20261127000000,
        profile: { identity: `u${i}` },
        eventProps: { seq: i, pad: 'x'.repeat(100) },
      }),
    ),
    brokers,
  );
  return { system, account, bucket, credentialId, from, to };
}

async function createExport(s: Setup): Promise<string> {
  const res = await api<ExportBody>(s.system.api, 'POST', '/v1/exports', {
    apiKey: s.account.apiKey,
    body: {
      partner: 'gcp',
      credentialId: s.credentialId,
      type: 'all_events',
      frequency: 'one_time',
      from: new Date(s.from).toISOString(),
      to: new Date(s.to).toISOString(),
      format: 'json',
    },
  });
  expect(res.status).toBe(201);
  return res.body.id;
}

/** Reads only: the writes through an outage are shown by test/outages (each would start a run here). */
function probe(s: Setup): HttpProbe {
  return new HttpProbe(
    s.system.api,
    [
      { method: 'GET', path: '/v1/exports' },
      { method: 'GET', path: '/v1/credentials/gcp' },
    ],
    s.account.apiKey,
  );
}

function expectAllAnswered(answers: ProbeAnswer[]): void {
  expect(answers.length).toBeGreaterThan(0);
  expect(answers.filter((a) => a.status === 0 || a.error !== undefined || a.ms > 2000)).toEqual([]);
}

/** Every event exactly once across the export's files, which are exactly the run's recorded files. */
async function expectExactlyOnce(s: Setup, exportId: string): Promise<void> {
  const done = await waitFor(
    'export done',
    async () => {
      const res = await api<ExportBody>(s.system.api, 'GET', `/v1/exports/${exportId}`, { apiKey: s.account.apiKey });
      if (res.body.status === 'failed') throw new Error(`failed: ${JSON.stringify(res.body.runs[0])}`);
      return res.body.status === 'done' ? res.body : undefined;
    },
    { timeoutMs: 240_000, intervalMs: 500 },
  );
  const objects = (await gcs.list(s.bucket)).filter(
    (o) => o.name.startsWith(exportId) && !o.name.endsWith('-manifest.json'),
  );
  expect(objects.map((o) => o.name).sort()).toEqual(done.runs[0].files.map((f) => f.name).sort());
  const seen = new Set<number>();
  for (const o of objects) {
    parseFileName(o.name);
    for (const line of (await gcs.download(s.bucket, o.name)).toString().trim().split('\n').slice(1)) {
      const seq = JSON.parse(line).eventProps.seq as number;
      expect(seen.has(seq)).toBe(false);
      seen.add(seq);
    }
  }
  expect(seen.size).toBe(EVENTS);
}

const runStatus = async (s: Setup, exportId: string) =>
  (await s.system.db.query('SELECT status FROM export_runs WHERE export_id = $1', [exportId]))[0]?.status as
    string | undefined;
const uploaded = async (s: Setup, exportId: string) =>
  (await gcs.list(s.bucket)).filter((o) => o.name.startsWith(exportId)).length;

describe('outages mid-run: the Kafka broker killed for 30 s', () => {
  let kafka: OwnKafka;
  let s: Setup;

  beforeAll(async () => {
    kafka = await OwnKafka.start();
    s = await setUp({ KAFKA_BROKERS: kafka.brokers }, kafka.brokers);
  }, 240_000);

  afterAll(async () => {
    await s?.system.stop();
    await kafka?.destroy();
  });

  async function brokerDown(): Promise<ProbeAnswer[]> {
    const p = probe(s);
    p.start();
    await kafka.kill();
    const killedAt = Date.now();
    try {
      await waitFor('the broker down for 30 s', () => Date.now() - killedAt >= 30_000, {
        timeoutMs: 60_000,
        intervalMs: 500,
      });
    } finally {
      await kafka.resume();
    }
    return p.stop();
  }

  it('during extraction', async () => {
    const exportId = await createExport(s);
    await waitFor('run running', async () => (await runStatus(s, exportId)) === 'running', { intervalMs: 5 });
    expectAllAnswered(await brokerDown());
    await expectExactlyOnce(s, exportId);
  }, 400_000);

  it('during upload', async () => {
    const exportId = await createExport(s);
    await waitFor('some files uploaded', async () => (await uploaded(s, exportId)) >= 2, {
      intervalMs: 20,
      timeoutMs: 120_000,
    });
    expectAllAnswered(await brokerDown());
    await expectExactlyOnce(s, exportId);
  }, 400_000);
});

describe('outages mid-run: Postgres stopped and started again', () => {
  let s: Setup;

  beforeAll(async () => {
    s = await setUp({});
  }, 240_000);

  afterAll(async () => {
    await s?.system.stop();
  });

  async function postgresDown(): Promise<ProbeAnswer[]> {
    const p = probe(s);
    return withPostgresStopped(async () => {
      p.start();
      await waitFor('answers during the outage', () => p.answers.length >= 40, { timeoutMs: 60_000 });
      return p.stop();
    });
  }

  it('during extraction', async () => {
    const exportId = await createExport(s);
    await waitFor('run running', async () => (await runStatus(s, exportId)) === 'running', { intervalMs: 5 });
    expectAllAnswered(await postgresDown());
    await expectExactlyOnce(s, exportId);
  }, 400_000);

  it('during upload', async () => {
    const exportId = await createExport(s);
    await waitFor('some files uploaded', async () => (await uploaded(s, exportId)) >= 2, {
      intervalMs: 20,
      timeoutMs: 120_000,
    });
    expectAllAnswered(await postgresDown());
    await expectExactlyOnce(s, exportId);
  }, 400_000);

  it('emits nothing twice after a scheduler, an extractor and an uploader were each killed while idle and started again', async () => {
    for (const name of ['scheduler', 'extractor', 'uploader'] as const) {
      const service = s.system.service(name);
      await service.kill();
      await service.start();
    }
    const exportId = await createExport(s);
    await expectExactlyOnce(s, exportId);
    const runs = (await s.system.db.query('SELECT id FROM export_runs WHERE export_id = $1', [exportId])) as {
      id: string;
    }[];
    expect(runs).toHaveLength(1);
    const commandsOf = async (topic: string) =>
      (await kcatConsumeAll(`${s.system.env.TOPIC_PREFIX}${topic}`))
        .map((m) => JSON.parse(m.value) as { runId?: string; attempt?: number })
        .filter((m) => m.runId === runs[0].id);
    expect(await commandsOf('export.plan-runs')).toHaveLength(1);
    // One command per task: extract tasks, one write task per file group, the finish.
    const tasks = (await s.system.db.query(
      `SELECT kind, count(*)::int AS n FROM run_tasks WHERE run_id = $1 GROUP BY kind`,
      [runs[0].id],
    )) as { kind: string; n: number }[];
    const count = (kind: string) => tasks.find((t) => t.kind === kind)?.n ?? 0;
    expect(await commandsOf('export.extract-tasks')).toHaveLength(count('extract'));
    expect(await commandsOf('export.write-tasks')).toHaveLength(count('write') + count('finish'));
  }, 400_000);
});

describe('outages mid-run: fake-gcs-server unreachable for 20 s during upload', () => {
  let gcsProxy: TcpFaultProxy;
  let s: Setup;

  beforeAll(async () => {
    gcsProxy = await TcpFaultProxy.inFrontOf(STACK.gcsEndpoint);
    s = await setUp({ GCS_API_ENDPOINT: gcsProxy.url, RUN_RETRY_BASE_MS: '5000' });
  }, 240_000);

  afterAll(async () => {
    await s?.system.stop();
    await gcsProxy?.kill();
  });

  it('ends done with every event exactly once', async () => {
    const exportId = await createExport(s);
    await waitFor('some files uploaded', async () => (await uploaded(s, exportId)) >= 2, {
      intervalMs: 20,
      timeoutMs: 120_000,
    });
    const p = probe(s);
    p.start();
    await gcsProxy.kill();
    const killedAt = Date.now();
    try {
      await waitFor('fake-gcs-server away for 20 s', () => Date.now() - killedAt >= 20_000, {
        timeoutMs: 60_000,
        intervalMs: 500,
      });
    } finally {
      await gcsProxy.resume();
    }
    expectAllAnswered(await p.stop());
    await expectExactlyOnce(s, exportId);
  }, 400_000);
});

describe('outages mid-run: GCS answering 429, 503, a reset connection and a response that hangs, mid-upload', () => {
  let gcsProxy: HttpFaultProxy;
  let s: Setup;

  beforeAll(async () => {
    gcsProxy = await HttpFaultProxy.inFrontOf(STACK.gcsEndpoint);
    s = await setUp({ GCS_API_ENDPOINT: gcsProxy.url, GCS_REQUEST_TIMEOUT_MS: '3000' });
  }, 240_000);

  afterAll(async () => {
    await s?.system.stop();
    await gcsProxy?.close();
  });

  it('retries each upload inside the attempt, waiting what Retry-After asks, and times a hung request out', async () => {
    const exportId = await createExport(s);
    const isUpload = (req: { method?: string; url?: string }) =>
      req.method === 'POST' && (req.url ?? '').startsWith('/upload/') && (req.url ?? '').includes(`name=${exportId}`);
    await waitFor('a file uploaded', async () => (await uploaded(s, exportId)) >= 1, {
      intervalMs: 10,
      timeoutMs: 120_000,
    });
    gcsProxy.failNext({ kind: 'status', status: 429, retryAfterSeconds: 2 }, isUpload);
    gcsProxy.failNext({ kind: 'status', status: 503, retryAfterSeconds: 1 }, isUpload);
    gcsProxy.failNext({ kind: 'reset' }, isUpload);
    gcsProxy.failNext({ kind: 'hang' }, isUpload);
    await expectExactlyOnce(s, exportId);
    expect(gcsProxy.pending).toBe(0);
    const run = (await s.system.db.query('SELECT attempt FROM export_runs WHERE export_id = $1', [exportId]))[0] as {
      attempt: number;
    };
    expect(run.attempt).toBe(1);
    const objectOf = (path: string) => new URL(path, 'http://x').searchParams.get('name');
    const next = (fault: { path: string; at: number }) =>
      gcsProxy.requests.find(
        (r) => r.at > fault.at && objectOf(r.path) === objectOf(fault.path) && r.method === 'POST',
      );
    for (const injected of gcsProxy.injected) {
      const again = next(injected);
      expect(again).toBeDefined();
      const waited = again!.at - injected.at;
      const f = injected.fault;
      if (f.kind === 'status') expect(waited).toBeGreaterThanOrEqual((f.retryAfterSeconds ?? 0) * 1000 - 50);
      if (f.kind === 'hang') expect(waited).toBeGreaterThanOrEqual(3000 - 50);
    }
  }, 400_000);
});
