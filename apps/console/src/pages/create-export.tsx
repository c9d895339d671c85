import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { described, Field, Notice, PageTitle } from '../components';
import {
  addEvent,
  compressionsFor,
  earliestStart,
  emptyForm,
  ExportForm,
  exportRequest,
  MAX_WINDOW_AGE_DAYS,
} from '../export-form';
import { FORMAT_LABELS, formatTime, fromLocalInput, toLocalInput, TYPE_LABELS, zoneLabel } from '../format';
import type { Credential } from '../types';

/** Activity Log → Create Export: every option of POST /v1/exports; the API's 400s shown by field. */
export function CreateExport() {
  const [form, setForm] = useState<ExportForm>(emptyForm);
  const [credentials, setCredentials] = useState<Credential[] | null>(null);
  const [knownEvents, setKnownEvents] = useState<string[]>([]);
  const [eventInput, setEventInput] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const now = useMemo(() => Date.now(), []);
  const min = toLocalInput(earliestStart(now) + 60_000);
  const max = toLocalInput(now);

  useEffect(() => {
    api.credentials().then(
      (r) => {
        setCredentials(r.items);
        if (r.items.length > 0) setForm((f) => ({ ...f, credentialId: f.credentialId || r.items[0].id }));
      },
      (e: ApiError) => setFormError(e.message),
    );
    // Event names of earlier exports, offered in the event picker.
    api.exports(undefined, 100).then(
      (page) => setKnownEvents([...new Set(page.items.flatMap((e) => e.events ?? []))].sort()),
      () => undefined,
    );
  }, []);

  // Editing a field clears what the API said about it.
  const set = <K extends keyof ExportForm>(key: K, value: ExportForm[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    if (errors[key]) setErrors((e) => Object.fromEntries(Object.entries(e).filter(([field]) => field !== key)));
    setFormError(undefined);
  };
  const input = (key: keyof ExportForm) => (e: Event) => set(key, (e.currentTarget as HTMLInputElement).value as never);

  function pickEvent() {
    set('events', addEvent(form.events, eventInput));
    setEventInput('');
  }

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setFormError(undefined);
    try {
      const created = await api.createExport(exportRequest(form, fromLocalInput));
      location.hash = `#/activity?created=${created.id}`;
    } catch (err) {
      const e2 = err as ApiError;
      const fields = e2.byField();
      setErrors(fields);
      setFormError(
        Object.keys(fields).length === 0 ? e2.message : 'The export was not created: correct the fields marked below.',
      );
    } finally {
      setBusy(false);
    }
  }

  if (credentials?.length === 0) {
    return (
      <>
        <PageTitle>Create Export</PageTitle>
        <p>
          Save a service key and bucket first: <a href="#/credentials">Credentials</a>.
        </p>
      </>
    );
  }

  const recurring = form.frequency === 'recurring';
  return (
    <>
      <PageTitle>Create Export</PageTitle>
      <form onSubmit={submit} noValidate class="export-form">
        {formError && <Notice kind="error">{formError}</Notice>}
        <div class="grid">
          <Field id="partner" label="Partner" error={errors.partner}>
            <select {...described('partner', errors.partner)} value={form.partner} onChange={input('partner')}>
              <option value="gcp">Google Cloud Storage</option>
            </select>
          </Field>
          <Field id="credentialId" label="Bucket (credentials)" error={errors.credentialId}>
            <select
              {...described('credentialId', errors.credentialId)}
              value={form.credentialId}
              onChange={input('credentialId')}
            >
              {(credentials ?? []).map((c) => (
                <option key={c.id} value={c.id}>
                  {c.bucket} ({c.clientEmail})
                </option>
              ))}
            </select>
          </Field>
          <Field id="type" label="Export type" error={errors.type}>
            <select {...described('type', errors.type)} value={form.type} onChange={input('type')}>
              {Object.entries(TYPE_LABELS).map(([value, text]) => (
                <option key={value} value={value}>
                  {text}
                </option>
              ))}
            </select>
          </Field>
        </div>

        {form.type === 'select_events' && (
          <fieldset>
            <legend>Events</legend>
            <Field
              id="event-name"
              label="Event name"
              hint="Exactly as the events are named, e.g. Charged. Add up to 100."
              error={errors.events}
            >
              <div class="inline">
                <input
                  {...described('event-name', errors.events, true)}
                  list="known-events"
                  value={eventInput}
                  onInput={(e) => setEventInput(e.currentTarget.value)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') {
                      e.preventDefault();
                      pickEvent();
                    }
                  }}
                />
                <button type="button" class="secondary" onClick={pickEvent}>
                  Add event
                </button>
              </div>
              <datalist id="known-events">
                {knownEvents.map((n) => (
                  <option key={n} value={n} />
                ))}
              </datalist>
            </Field>
            <ul class="chips" aria-label="Picked events">
              {form.events.map((n) => (
                <li key={n}>
                  {n}
                  <button
                    type="button"
                    class="chip-remove"
                    aria-label={`Remove ${n}`}
                    onClick={() =>
                      set(
                        'events',
                        form.events.filter((x) => x !== n),
                      )
                    }
                  >
                    ×
                  </button>
                </li>
              ))}
            </ul>
          </fieldset>
        )}

        <fieldset>
          <legend>Frequency</legend>
          <div class="radios">
            {(['one_time', 'recurring'] as const).map((f) => (
              <label key={f}>
                <input
                  type="radio"
                  name="frequency"
                  value={f}
                  checked={form.frequency === f}
                  onChange={() => set('frequency', f)}
                />
                {f === 'one_time' ? 'One time' : 'Recurring'}
              </label>
            ))}
          </div>
          {!recurring && (
            <div class="grid">
              <Field
                id="from"
                label={`From (${zoneLabel()})`}
                hint={`Up to ${MAX_WINDOW_AGE_DAYS} days back: not before ${formatTime(new Date(earliestStart(now)).toISOString())}.`}
                error={errors.from}
              >
                <input
                  {...described('from', errors.from, true)}
                  type="datetime-local"
                  step={1}
                  min={min}
                  max={max}
                  value={form.from}
                  onInput={input('from')}
                />
              </Field>
              <Field id="to" label={`To (${zoneLabel()})`} hint="Exclusive; not in the future." error={errors.to}>
                <input
                  {...described('to', errors.to, true)}
                  type="datetime-local"
                  step={1}
                  min={min}
                  max={max}
                  value={form.to}
                  onInput={input('to')}
                />
              </Field>
            </div>
          )}
          {recurring && (
            <div class="grid">
              <Field
                id="intervalHours"
                label="Every (hours)"
                hint="4 to 24 whole hours; each run exports the events captured in the last window."
                error={errors.intervalHours}
              >
                <input
                  {...described('intervalHours', errors.intervalHours, true)}
                  type="number"
                  min={4}
                  max={24}
                  step={1}
                  inputMode="numeric"
                  value={form.intervalHours}
                  onInput={input('intervalHours')}
                />
              </Field>
              <Field
                id="startAt"
                label={`First window starts (${zoneLabel()})`}
                hint={`Optional, default now; up to ${MAX_WINDOW_AGE_DAYS} days back.`}
                error={errors.startAt}
              >
                <input
                  {...described('startAt', errors.startAt, true)}
                  type="datetime-local"
                  step={1}
                  min={min}
                  max={max}
                  value={form.startAt}
                  onInput={input('startAt')}
                />
              </Field>
            </div>
          )}
        </fieldset>

        <div class="grid">
          <Field id="format" label="Format" error={errors.format}>
            <select
              {...described('format', errors.format)}
              value={form.format}
              onChange={(e) => {
                const format = e.currentTarget.value;
                set('format', format);
                setForm((f) => ({ ...f, compression: '', xmlLayout: format === 'xml' ? f.xmlLayout : '' }));
              }}
            >
              {Object.entries(FORMAT_LABELS).map(([value, text]) => (
                <option key={value} value={value}>
                  {text}
                </option>
              ))}
            </select>
          </Field>
          <Field id="compression" label="Compression" error={errors.compression}>
            <select
              {...described('compression', errors.compression)}
              value={form.compression}
              onChange={input('compression')}
            >
              {compressionsFor(form.format).map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
          </Field>
        </div>

        <details
          open={Boolean(
            form.prefix ||
            form.maxFileMb ||
            form.xmlLayout ||
            form.profileMode ||
            errors.prefix ||
            errors.maxFileMb ||
            errors.xmlLayout ||
            errors.profileMode,
          )}
        >
          <summary>Advanced</summary>
          <p class="hint">Leave these empty for the defaults.</p>
          <div class="grid">
            <Field
              id="prefix"
              label="Folder in the bucket (prefix)"
              hint='e.g. "exports/"; default: the top of the bucket.'
              error={errors.prefix}
            >
              <input
                {...described('prefix', errors.prefix, true)}
                spellcheck={false}
                autoComplete="off"
                value={form.prefix}
                onInput={input('prefix')}
              />
            </Field>
            <Field id="maxFileMb" label="Largest file (MB)" hint="1 to 100; default 100." error={errors.maxFileMb}>
              <input
                {...described('maxFileMb', errors.maxFileMb, true)}
                type="number"
                min={1}
                max={100}
                step={1}
                inputMode="numeric"
                value={form.maxFileMb}
                onInput={input('maxFileMb')}
              />
            </Field>
            {form.format === 'xml' && (
              <Field id="xmlLayout" label="XML layout" error={errors.xmlLayout}>
                <select
                  {...described('xmlLayout', errors.xmlLayout)}
                  value={form.xmlLayout}
                  onChange={input('xmlLayout')}
                >
                  <option value="">Documented (default)</option>
                  <option value="documented">Documented</option>
                  <option value="typed">Typed</option>
                </select>
              </Field>
            )}
            {recurring && form.type === 'all_profiles' && (
              <Field id="profileMode" label="Profiles in each run" error={errors.profileMode}>
                <select
                  {...described('profileMode', errors.profileMode)}
                  value={form.profileMode}
                  onChange={input('profileMode')}
                >
                  <option value="">Changed since the last run (default)</option>
                  <option value="incremental">Changed since the last run</option>
                  <option value="snapshot">All profiles (snapshot)</option>
                </select>
              </Field>
            )}
          </div>
        </details>

        <button type="submit" disabled={busy || credentials === null}>
          {busy ? 'Creating…' : 'Create Export'}
        </button>
      </form>
    </>
  );
}
