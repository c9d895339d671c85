import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { Notice, PageTitle, Status, usePolling } from '../components';
import { FORMAT_LABELS, formatTime, FREQUENCY_LABELS, isUnderWay, label, TYPE_LABELS } from '../format';
import type { ExportView } from '../types';

const PAGE_SIZE = 20;
const REFRESH_MS = 2000;

/** Every export, newest first, a page at a time; refreshes by itself while one is pending or running. */
export function ActivityLog() {
  // The cursors of the pages before this one: going back pops one.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [items, setItems] = useState<ExportView[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string>();
  const [updatedAt, setUpdatedAt] = useState<number>();
  const cursor = cursors[cursors.length - 1];
  const created = new URLSearchParams(location.hash.split('?')[1] ?? '').get('created');

  const load = () =>
    api.exports(cursor, PAGE_SIZE).then(
      (page) => {
        setItems(page.items);
        setNext(page.nextCursor);
        setError(undefined);
        setUpdatedAt(Date.now());
      },
      (e: ApiError) => setError(e.message),
    );
  useEffect(() => void load(), [cursor]);
  const active = items?.some((e) => isUnderWay(e.status) || e.runs.some((r) => isUnderWay(r.status))) ?? false;
  usePolling(() => void load(), REFRESH_MS, active);

  return (
    <>
      <PageTitle>Activity Log</PageTitle>
      {created && <Notice kind="ok">Export {created} created.</Notice>}
      <div class="toolbar">
        <button type="button" class="secondary" onClick={() => void load()}>
          Refresh
        </button>
        <span class="muted" aria-live="polite">
          {active ? 'Refreshing by itself while exports are under way.' : ''}{' '}
          {updatedAt ? `Updated ${formatTime(new Date(updatedAt).toISOString())}` : ''}
        </span>
        <a class="button" href="#/create">
          Create Export
        </a>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      {items === null && !error && <p>Loading…</p>}
      {items?.length === 0 && cursors.length === 1 && (
        <p>
          No exports yet. <a href="#/create">Create one</a>.
        </p>
      )}
      {items && items.length > 0 && (
        <div class="table-wrap">
          <table class="activity cards">
            <caption class="visually-hidden">Exports, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Request id</th>
                <th scope="col">Type</th>
                <th scope="col">Events</th>
                <th scope="col">Frequency</th>
                <th scope="col">Format</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.id} data-export-id={e.id}>
                  <td data-label="Request id">
                    <a href={`#/exports/${e.id}`} class="mono">
                      {e.id}
                    </a>
                  </td>
                  <td data-label="Type">{label(TYPE_LABELS, e.type)}</td>
                  <td data-label="Events" class="wrap">
                    {e.events ? e.events.join(', ') : '—'}
                  </td>
                  <td data-label="Frequency">
                    {e.frequency === 'recurring' ? `Every ${e.intervalHours} h` : label(FREQUENCY_LABELS, e.frequency)}
                  </td>
                  <td data-label="Format">
                    {label(FORMAT_LABELS, e.format)}
                    {e.compression !== 'none' ? ` (${e.compression})` : ''}
                  </td>
                  <td data-label="Status">
                    <Status status={e.status} reason={e.error ?? e.reason} />
                  </td>
                  <td data-label="Created">{formatTime(e.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages of the Activity Log">
        <button
          type="button"
          class="secondary"
          disabled={cursors.length === 1}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          Newer
        </button>
        <span class="muted">Page {cursors.length}</span>
        <button type="button" class="secondary" disabled={!next} onClick={() => next && setCursors([...cursors, next])}>
          Older
        </button>
      </nav>
    </>
  );
}
