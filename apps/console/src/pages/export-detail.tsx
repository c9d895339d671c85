import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { Notice, PageTitle, Status, usePolling } from '../components';
import {
  FORMAT_LABELS,
  formatBytes,
  formatTime,
  formatWindow,
  FREQUENCY_LABELS,
  isUnderWay,
  label,
  TYPE_LABELS,
} from '../format';
import type { ExportView, RunView } from '../types';

const REFRESH_MS = 1500;

/** One export: its settings, where its files are, and its runs with their files; live while a run is under way. */
export function ExportDetail({ id }: { id: string }) {
  const [view, setView] = useState<ExportView | null>(null);
  const [bucket, setBucket] = useState<string>();
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<{ kind: 'ok' | 'error'; text: string }>();
  const [busy, setBusy] = useState(false);

  const load = () =>
    api.export(id).then(
      (v) => {
        setView(v);
        setError(undefined);
      },
      (e: ApiError) => setError(e.status === 404 ? `There is no export ${id} in this account.` : e.message),
    );
  useEffect(() => void load(), []);
  useEffect(() => {
    if (!view) return;
    api.credentials().then(
      (r) => setBucket(r.items.find((c) => c.id === view.credentialId)?.bucket),
      () => undefined,
    );
  }, [view?.credentialId]);
  const live = view !== null && (isUnderWay(view.status) || view.runs.some((r) => isUnderWay(r.status)));
  usePolling(() => void load(), REFRESH_MS, live);

  async function act(what: string, call: () => Promise<unknown>, done: string) {
    setBusy(true);
    try {
      await call();
      setNotice({ kind: 'ok', text: done });
      await load();
    } catch (e) {
      setNotice({ kind: 'error', text: `${what}: ${(e as ApiError).message}` });
    } finally {
      setBusy(false);
    }
  }

  if (error && !view) return <Notice kind="error">{error}</Notice>;
  if (!view) return <p>Loading…</p>;
  const stoppable = view.frequency === 'recurring' && ['pending', 'running', 'paused'].includes(view.status);
  const folder = view.prefix ?? '';
  return (
    <>
      <p>
        <a href="#/activity">← Activity Log</a>
      </p>
      <PageTitle>
        Export <span class="mono">{view.id}</span>
      </PageTitle>
      {notice && <Notice kind={notice.kind}>{notice.text}</Notice>}
      {error && <Notice kind="error">{error}</Notice>}
      <dl class="summary">
        <dt>Status</dt>
        <dd>
          <Status status={view.status} />
          {live && <span class="muted"> · updating live</span>}
          {view.pausedAt && (
            <span class="muted"> since {formatTime(view.pausedAt)}: resume it once the cause is fixed</span>
          )}
          {(view.error || view.reason) && <p class="error">{view.error ?? view.reason}</p>}
        </dd>
        <dt>Type</dt>
        <dd>
          {label(TYPE_LABELS, view.type)}
          {view.events ? `: ${view.events.join(', ')}` : ''}
        </dd>
        <dt>Frequency</dt>
        <dd>
          {view.frequency === 'recurring'
            ? `Recurring, every ${view.intervalHours} h from ${formatTime(view.startAt)}`
            : `${label(FREQUENCY_LABELS, view.frequency)}: ${formatWindow(view.from ?? '', view.to)}`}
        </dd>
        <dt>Format</dt>
        <dd>
          {label(FORMAT_LABELS, view.format)}, compression {view.compression}
          {view.maxFileMb ? `, files up to ${view.maxFileMb} MB` : ''}
          {view.xmlLayout ? `, ${view.xmlLayout} XML` : ''}
          {view.profileMode ? `, ${view.profileMode} profiles` : ''}
        </dd>
        <dt>Created</dt>
        <dd>{formatTime(view.createdAt)}</dd>
        <dt>Files</dt>
        <dd>
          In bucket <span class="mono">{bucket ?? '…'}</span>
          {folder && (
            <>
              , folder <span class="mono">{folder}</span>
            </>
          )}
          : search for <span class="mono">{view.id}</span> (
          <span class="mono">
            gs://{bucket ?? '…'}/{folder}
            {view.id}-*
          </span>
          )
        </dd>
      </dl>
      <div class="buttons">
        {stoppable && (
          <button
            type="button"
            class="danger"
            disabled={busy}
            onClick={() => act('Not stopped', () => api.stop(view.id), 'Export stopped: no more runs will start.')}
          >
            Stop export
          </button>
        )}
        {view.status === 'paused' && (
          <button
            type="button"
            disabled={busy}
            onClick={() => act('Not resumed', () => api.resume(view.id), 'Export resumed.')}
          >
            Resume export
          </button>
        )}
      </div>
      <h2>Runs</h2>
      {view.runs.length === 0 && (
        <p>No run yet{view.status === 'pending' ? ': the first one starts when its window is due.' : '.'}</p>
      )}
      {view.runs.map((run) => (
        <Run
          key={run.id}
          run={run}
          busy={busy}
          onRetry={() => act('Not retried', () => api.retry(view.id, run.id), `Run ${run.id} will be tried again.`)}
        />
      ))}
    </>
  );
}

function Run({ run, busy, onRetry }: { run: RunView; busy: boolean; onRetry: () => void }) {
  const running = run.status === 'running';
  return (
    <section class="run" aria-label={`Run ${formatWindow(run.windowStart, run.windowEnd)}`} data-run-id={run.id}>
      <h3>
        <Status status={run.status} /> {formatWindow(run.windowStart, run.windowEnd)}
      </h3>
      {running && (
        <div class="progress" role="status">
          <progress aria-label="Run under way" />
          <span>
            {run.rowsExtracted.toLocaleString()} rows read, {run.rowsWritten.toLocaleString()} written, {run.filesCount}{' '}
            files so far
          </span>
        </div>
      )}
      <dl class="counts">
        <dt>Attempt</dt>
        <dd>{run.attempt}</dd>
        <dt>Rows</dt>
        <dd>{run.rowsWritten.toLocaleString()}</dd>
        <dt>Rejected rows</dt>
        <dd>{run.rowsRejected.toLocaleString()}</dd>
        <dt>Bytes</dt>
        <dd>{formatBytes(run.bytesWritten)}</dd>
        <dt>Files</dt>
        <dd>{run.filesCount}</dd>
        <dt>Started</dt>
        <dd>{formatTime(run.startedAt)}</dd>
        <dt>Finished</dt>
        <dd>{formatTime(run.finishedAt)}</dd>
        {run.nextAttemptAt && (
          <>
            <dt>Next attempt</dt>
            <dd>{formatTime(run.nextAttemptAt)}</dd>
          </>
        )}
      </dl>
      {run.error && <p class="error">Error: {run.error}</p>}
      {run.warning && <p class="warning">Warning: {run.warning}</p>}
      {run.status === 'failed' && (
        <button type="button" disabled={busy} onClick={onRetry}>
          Retry run
        </button>
      )}
      {run.files.length > 0 && (
        <div class="table-wrap">
          <table class="files cards">
            <caption>Files of this run</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Event</th>
                <th scope="col">Day</th>
                <th scope="col">Index</th>
                <th scope="col">Rows</th>
                <th scope="col">Size</th>
              </tr>
            </thead>
            <tbody>
              {run.files.map((f) => (
                <tr key={f.name}>
                  <td data-label="Name" class="mono wrap">
                    {f.name}
                  </td>
                  <td data-label="Event">{f.eventName}</td>
                  <td data-label="Day">{f.day}</td>
                  <td data-label="Index">{f.index}</td>
                  <td data-label="Rows">{f.rows.toLocaleString()}</td>
                  <td data-label="Size">{formatBytes(f.bytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
