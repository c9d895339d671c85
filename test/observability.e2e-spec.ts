import { api, clockPast, kcatProduce, ServiceName, TestAccount, TestSystem, waitFor } from '@bulk-export/testing';
import { createExport, ExportBody, exportDone, saveCredentials } from './support/exports';

/** Health, Prometheus metrics after an export, run progress while it runs, and the OpenAPI document. */
const COUNT = 40_000;

describe('observability', () => {
  let system: TestSystem;
  let account: TestAccount;
  let credentialId: string;
  let from: number;
  let to: number;

  beforeAll(async () => {
    system = await TestSystem.start({ MAX_FILE_BYTES: String(64 * 1024) });
    account = await system.createAccount();
    ({ credentialId } = await saveCredentials(system, account));
    from = Date.now() + 1;
    await clockPast(from);
    await kcatProduce(account.eventsTopic, [
      ...Array.from({ length: COUNT }, (_, i) =>
        JSON.stringify({
          eventName: `E${i % 4}`,
          ts: 20261127100000,
          profile: { identity: `u${i}` },
          eventProps: { i, pad: 'p'.repeat(80) },
        }),
      ),
      'not an event',
    ]);
    to = Date.now() + 1;
    await clockPast(to);
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('answers /health/live and /health/ready on every service, with each dependency', async () => {
    for (const name of ['request-api', 'scheduler', 'extractor', 'uploader'] as ServiceName[]) {
      const live = await fetch(`${system.service(name).url}/health/live`);
      expect(live.status).toBe(200);
      const ready = await fetch(`${system.service(name).url}/health/ready`);
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as { status: string; checks: Record<string, string> };
      expect(body.status).toBe('up');
      expect(body.checks).toMatchObject({ postgres: 'up', kafka: 'up' });
    }
  });

  it('shows progress while a run is under way, then the metrics of what it did', async () => {
    const id = await createExport(system, account, {
      credentialId,
      type: 'all_events',
      format: 'json',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
    });
    const progress = await waitFor(
      'progress of a running run',
      async () => {
        const res = await api<ExportBody>(system.api, 'GET', `/v1/exports/${id}`, { apiKey: account.apiKey });
        const run = res.body.runs[0] as
          (ExportBody['runs'][0] & { filesCount: number; bytesWritten: number }) | undefined;
        if (res.body.status === 'done') throw new Error('finished before any progress was seen');
        return run?.status === 'running' && (run.rowsExtracted > 0 || run.filesCount > 0) ? run : undefined;
      },
      { intervalMs: 20 },
    );
    expect(progress.rowsExtracted + progress.rowsWritten).toBeGreaterThan(0);
    const done = await exportDone(system, account, id);
    expect(done.runs[0].rowsWritten).toBe(COUNT);

    const scrape = async (name: ServiceName) => (await fetch(`${system.service(name).url}/metrics`)).text();
    /** The value of a metric's sample whose labels include `label` (label order does not matter). */
    const value = (text: string, metric: string, label = '') => {
      const line = text
        .split('\n')
        .find((l) => (l.startsWith(`${metric}{`) || l.startsWith(`${metric} `)) && l.includes(label));
      return line ? Number(line.split(' ').pop()) : NaN;
    };
    const extractor = await scrape('extractor');
    expect(value(extractor, 'bulk_export_events_read_total')).toBe(COUNT + 1);
    expect(value(extractor, 'bulk_export_events_staged_total')).toBe(COUNT);
    expect(value(extractor, 'bulk_export_dead_lettered_total', 'source="events"')).toBe(1);
    expect(value(extractor, 'bulk_export_stage_duration_seconds_count', 'stage="extract"')).toBeGreaterThanOrEqual(1);
    const uploader = await scrape('uploader');
    expect(value(uploader, 'bulk_export_rows_written_total', 'format="json"')).toBe(COUNT);
    expect(value(uploader, 'bulk_export_files_uploaded_total', 'format="json"')).toBe(done.runs[0].files.length);
    expect(value(uploader, 'bulk_export_bytes_uploaded_total', 'format="json"')).toBe(
      done.runs[0].files.reduce((n, f) => n + f.bytes, 0),
    );
    expect(value(uploader, 'bulk_export_runs_completed_total', 'format="json"')).toBe(1);
    // The lag gauge is refreshed every 5 s: it comes down to 0 once the command is committed.
    await waitFor(
      'uploader consumer lag 0',
      async () => value(await scrape('uploader'), 'bulk_export_consumer_lag', 'export.write-tasks"') === 0,
      {
        timeoutMs: 20_000,
        intervalMs: 500,
      },
    );
    expect(value(await scrape('scheduler'), 'bulk_export_windows_emitted_total', 'kind="window"')).toBe(1);
    expect(await scrape('request-api')).toContain('process_resident_memory_bytes');
  });

  it('describes every REST route in the OpenAPI document served at /docs', async () => {
    const res = await fetch(`${system.api}/docs-json`);
    expect(res.status).toBe(200);
    const spec = (await res.json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    const routes = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        'GET /health/live',
        'GET /health/ready',
        'GET /metrics',
        'POST /v1/credentials/gcp',
        'GET /v1/credentials/gcp',
        'PUT /v1/credentials/gcp/{id}',
        'DELETE /v1/credentials/gcp/{id}',
        'POST /v1/exports',
        'GET /v1/exports',
        'GET /v1/exports/{id}',
        'POST /v1/exports/{id}/stop',
        'GET /v1/exports/{id}/runs',
        'POST /v1/exports/{id}/runs/{runId}/retry',
        'POST /v1/exports/{id}/resume',
        'POST /v1/webhooks',
        'GET /v1/webhooks',
        'DELETE /v1/webhooks/{id}',
        'GET /v1/webhooks/{id}/deliveries',
      ].sort(),
    );
    for (const [path, methods] of Object.entries(spec.paths)) {
      if (!path.startsWith('/v1')) continue;
      for (const operation of Object.values(methods))
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401']));
    }
    expect(Object.keys(spec.components.schemas)).toEqual(
      expect.arrayContaining(['CreateExportRequest', 'SaveCredentialDto', 'CreateWebhookRequest']),
    );
    expect((await fetch(`${system.api}/docs`)).status).toBe(200);
  });
});
