import {
  api,
  clockPast,
  gcs,
  kcatProduce,
  makeServiceKey,
  TestAccount,
  TestSystem,
  waitFor,
} from '@bulk-export/testing';

export interface FileBody {
  name: string;
  eventName: string;
  day: string;
  index: number;
  rows: number;
  bytes: number;
}
export interface RunBody {
  id: string;
  status: string;
  attempt: number;
  rowsExtracted: number;
  rowsRejected: number;
  rowsWritten: number;
  error?: string;
  warning?: string;
  files: FileBody[];
}
export interface ExportBody {
  id: string;
  status: string;
  error?: string;
  runs: RunBody[];
}

/** The body of a valid one-time JSON export of all events with `credentialId`, over the day before yesterday. */
export function oneTimeExportBody(credentialId: string): Record<string, unknown> {
  const day = 86_400_000;
  return {
    partner: 'gcp',
    credentialId,
    type: 'all_events',
    frequency: 'one_time',
    from: new Date(Date.now() - 2 * day).toISOString(),
    to: new Date(Date.now() - day).toISOString(),
    format: 'json',
  };
}

/** Creates an export over HTTP and returns its id (the test fails on anything but 201). */
export async function createExport(
  system: TestSystem,
  account: TestAccount,
  body: Record<string, unknown>,
): Promise<string> {
  const res = await api<ExportBody>(system.api, 'POST', '/v1/exports', {
    apiKey: account.apiKey,
    body: { partner: 'gcp', frequency: 'one_time', ...body },
  });
  if (res.status !== 201) throw new Error(`export not created: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/** Waits until the export is done; fails at once if it failed. */
export async function exportDone(
  system: TestSystem,
  account: TestAccount,
  id: string,
  timeoutMs = 120_000,
): Promise<ExportBody> {
  return waitFor(
    `export ${id} done`,
    async () => {
      const res = await api<ExportBody>(system.api, 'GET', `/v1/exports/${id}`, { apiKey: account.apiKey });
      if (res.body.status === 'failed') throw new Error(`export failed: ${JSON.stringify(res.body)}`);
      return res.body.status === 'done' ? res.body : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/**
 * Saves credentials of `account` for a new bucket of fake-gcs-server (or for `bucket`); the test fails on anything but
 * 201.
 */
export async function saveCredentials(
  system: TestSystem,
  account: TestAccount,
  bucket?: string,
): Promise<{ bucket: string; credentialId: string }> {
  const name = bucket ?? (await gcs.createBucket());
  const saved = await api<{ id: string }>(system.api, 'POST', '/v1/credentials/gcp', {
    apiKey: account.apiKey,
    body: { serviceKey: makeServiceKey(), bucket: name },
  });
  if (saved.status !== 201) throw new Error(`credentials not saved: ${saved.status} ${JSON.stringify(saved.body)}`);
  return { bucket: name, credentialId: saved.body.id };
}

/**
 * Produces `values` to `topic` in a window of capture time of their own, [from, to) in ms; the clock is past both ends
 * when it returns.
 */
export async function produceInWindow(
  topic: string,
  values: string[],
  brokers?: string,
): Promise<{ from: number; to: number }> {
  const from = Date.now() + 1;
  await clockPast(from);
  await kcatProduce(topic, values, undefined, { brokers });
  const to = Date.now() + 1;
  await clockPast(to);
  return { from, to };
}
