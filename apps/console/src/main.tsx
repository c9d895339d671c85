import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { whenUnauthenticated } from './api';
import { apiKey, signOut } from './session';
import { ActivityLog } from './pages/activity-log';
import { CreateExport } from './pages/create-export';
import { CredentialsPage } from './pages/credentials';
import { ExportDetail } from './pages/export-detail';
import { SignIn } from './pages/sign-in';

/** The page a hash names: #/credentials, #/activity, #/create, #/exports/<id>. */
function route(full: string): { page: string; id?: string } {
  const hash = full.split('?')[0];
  const m = /^#\/exports\/([0-9A-Za-z]{1,64})$/.exec(hash);
  if (m) return { page: 'export', id: m[1] };
  const page = hash.replace(/^#\//, '');
  return { page: ['credentials', 'activity', 'create'].includes(page) ? page : 'activity' };
}

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash;
}

const NAV = [
  { page: 'activity', label: 'Activity Log' },
  { page: 'create', label: 'Create Export' },
  { page: 'credentials', label: 'Credentials' },
];

function App() {
  const [signedIn, setSignedIn] = useState(apiKey() !== null);
  const [expired, setExpired] = useState(false);
  const hash = useHash();
  useEffect(() => {
    whenUnauthenticated(() => {
      signOut();
      setExpired(true);
      setSignedIn(false);
    });
  }, []);
  if (!signedIn) {
    return (
      <SignIn
        expired={expired}
        onSignedIn={() => {
          setExpired(false);
          setSignedIn(true);
        }}
      />
    );
  }
  const current = route(hash);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Bulk Export</span>
        <nav aria-label="Console">
          <ul>
            {NAV.map((n) => (
              <li key={n.page}>
                <a href={`#/${n.page}`} aria-current={current.page === n.page ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            signOut();
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main">
        {current.page === 'activity' && <ActivityLog />}
        {current.page === 'create' && <CreateExport />}
        {current.page === 'credentials' && <CredentialsPage />}
        {current.page === 'export' && current.id && <ExportDetail key={current.id} id={current.id} />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
