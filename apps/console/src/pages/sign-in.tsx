import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { described, Field, Notice, PageTitle } from '../components';
import { signIn } from '../session';

/** Sign in with an API key; it is checked against the API before it is kept for this tab. */
export function SignIn({ onSignedIn, expired }: { onSignedIn: () => void; expired: boolean }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) return setError('Enter your API key.');
    setBusy(true);
    setError(undefined);
    try {
      await api.checkKey(trimmed);
      signIn(trimmed);
      setKey('');
      onSignedIn();
    } catch (err) {
      const e2 = err as ApiError;
      setError(
        e2.status === 401 ? 'That API key is not valid (unknown or revoked). Check it and try again.' : e2.message,
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="narrow">
      <PageTitle>Sign in to Bulk Export</PageTitle>
      {expired && <Notice kind="info">Your API key is no longer accepted: sign in again.</Notice>}
      <form onSubmit={submit} noValidate>
        <Field
          id="api-key"
          label="API key"
          hint="Kept in this browser tab only, until you sign out or close it."
          error={error}
        >
          <input
            {...described('api-key', error, true)}
            type="password"
            name="apiKey"
            autoComplete="current-password"
            spellcheck={false}
            required
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
          />
        </Field>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
