import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { described, Field, Notice, PageTitle } from '../components';
import { credentialHint, formatTime } from '../format';
import type { Credential } from '../types';

/** Settings → Partner → Exports → Google: the saved service keys and buckets. */
export function CredentialsPage() {
  const [items, setItems] = useState<Credential[] | null>(null);
  const [loadError, setLoadError] = useState<string>();
  const [editing, setEditing] = useState<Credential | null>(null);
  const [notice, setNotice] = useState<{ kind: 'ok' | 'error'; text: string }>();

  const load = () =>
    api.credentials().then(
      (r) => setItems(r.items),
      (e: ApiError) => setLoadError(e.message),
    );
  useEffect(() => void load(), []);

  async function remove(c: Credential) {
    if (!confirm(`Delete the credentials for bucket ${c.bucket}?`)) return;
    try {
      await api.deleteCredential(c.id);
      setItems((all) => all?.filter((x) => x.id !== c.id) ?? null);
      setNotice({ kind: 'ok', text: `Credentials for bucket ${c.bucket} deleted.` });
      await load();
    } catch (e) {
      setNotice({ kind: 'error', text: (e as ApiError).message });
    }
  }

  return (
    <>
      <PageTitle>Credentials</PageTitle>
      <p class="lead">
        A Google Cloud service account key and the bucket the exports write to. Saving checks them for real: a test file
        is written to the bucket and deleted.
      </p>
      {notice && <Notice kind={notice.kind}>{notice.text}</Notice>}
      <section aria-labelledby="saved-title">
        <h2 id="saved-title">Saved credentials</h2>
        {loadError && <Notice kind="error">{loadError}</Notice>}
        {items === null && !loadError && <p>Loading…</p>}
        {items?.length === 0 && <p>None yet: add a service key and bucket below.</p>}
        {items && items.length > 0 && (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Bucket</th>
                  <th scope="col">Service account</th>
                  <th scope="col">Project</th>
                  <th scope="col">Saved</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((c) => (
                  <tr key={c.id}>
                    <td>{c.bucket}</td>
                    <td class="wrap">{c.clientEmail}</td>
                    <td>{c.projectId}</td>
                    <td>{formatTime(c.createdAt)}</td>
                    <td class="actions">
                      <button
                        type="button"
                        class="secondary"
                        onClick={() => setEditing(c)}
                        aria-label={`Replace the key of bucket ${c.bucket}`}
                      >
                        Replace
                      </button>
                      <button
                        type="button"
                        class="danger"
                        onClick={() => remove(c)}
                        aria-label={`Delete the credentials of bucket ${c.bucket}`}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <CredentialForm
        key={editing?.id ?? 'new'}
        replacing={editing}
        onCancel={() => setEditing(null)}
        onSaved={(c) => {
          setNotice({ kind: 'ok', text: `Credentials Saved: bucket ${c.bucket}, service account ${c.clientEmail}.` });
          setEditing(null);
          void load();
        }}
      />
    </>
  );
}

function CredentialForm({
  replacing,
  onSaved,
  onCancel,
}: {
  replacing: Credential | null;
  onSaved: (c: Credential) => void;
  onCancel: () => void;
}) {
  const [serviceKey, setServiceKey] = useState('');
  const [bucket, setBucket] = useState(replacing?.bucket ?? '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [code, setCode] = useState('');
  const [formError, setFormError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const keyInput = useRef<HTMLTextAreaElement>(null);
  // Replace moves the keyboard focus to the form it opens, in the same commit that shows the form.
  useLayoutEffect(() => {
    if (replacing) keyInput.current?.focus();
  }, []);

  async function pickFile(e: Event) {
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    if (!file) return;
    if (file.size > 20_000)
      return setErrors({ serviceKey: 'That file is too large to be a service account key (.json, a few KB).' });
    setServiceKey(await file.text());
    setErrors({});
  }

  async function submit(e: Event) {
    e.preventDefault();
    const missing: Record<string, string> = {};
    if (!serviceKey.trim()) missing.serviceKey = 'Paste the service account key, or pick its .json file.';
    if (!bucket.trim()) missing.bucket = 'Enter the bucket name.';
    setErrors(missing);
    setFormError(undefined);
    setCode('');
    if (Object.keys(missing).length > 0) return;
    setBusy(true);
    try {
      const saved = await api.saveCredential({ serviceKey, bucket: bucket.trim() }, replacing?.id);
      setServiceKey('');
      setBucket('');
      onSaved(saved);
    } catch (err) {
      const e2 = err as ApiError;
      const fields = e2.byField();
      setCode(e2.code);
      setErrors(fields);
      if (Object.keys(fields).length === 0) setFormError(e2.message);
    } finally {
      setBusy(false);
    }
  }

  const title = replacing ? `Replace the key of bucket ${replacing.bucket}` : 'Add credentials';
  return (
    <section aria-labelledby="form-title">
      <h2 id="form-title">{title}</h2>
      <form onSubmit={submit} noValidate>
        {formError && <Notice kind="error">{formError}</Notice>}
        <Field
          id="service-key"
          label="Service Key"
          hint="The whole JSON key file of the service account, as downloaded from Google Cloud. It is stored encrypted and never shown again."
          error={errors.serviceKey}
          extra={errors.serviceKey ? credentialHint(code, 'serviceKey') : null}
        >
          <textarea
            {...described('service-key', errors.serviceKey, true)}
            ref={keyInput}
            name="serviceKey"
            rows={6}
            spellcheck={false}
            autoComplete="off"
            value={serviceKey}
            onInput={(e) => {
              setServiceKey(e.currentTarget.value);
              setErrors(({ serviceKey: _, ...rest }) => rest);
            }}
          />
        </Field>
        <Field id="key-file" label="…or pick the key file (.json)">
          <input id="key-file" type="file" accept=".json,application/json" onChange={pickFile} />
        </Field>
        <Field
          id="bucket"
          label="Bucket Name"
          hint="Exactly as in Google Cloud (names are case-sensitive)."
          error={errors.bucket}
          extra={errors.bucket ? credentialHint(code, 'bucket') : null}
        >
          <input
            {...described('bucket', errors.bucket, true)}
            name="bucket"
            autoComplete="off"
            spellcheck={false}
            value={bucket}
            onInput={(e) => {
              setBucket(e.currentTarget.value);
              setErrors(({ bucket: _, ...rest }) => rest);
            }}
          />
        </Field>
        <div class="buttons">
          <button type="submit" disabled={busy}>
            {busy ? 'Checking the bucket…' : 'Save Credentials'}
          </button>
          {replacing && (
            <button type="button" class="secondary" onClick={onCancel}>
              Cancel
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
