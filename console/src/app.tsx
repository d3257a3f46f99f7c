import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Client, Schemas } from '../../api/client';
import { Board } from './board';
import { Inbox } from './inbox';
import { InstancePage } from './instance';
import { useRoute } from './route';
import { allPages, messageOf } from './poll';
import { apiFor, dataOf, forgetKey, SignedOut, storedKey, storeKey } from './session';

type Me = Schemas['Me'];
type Pipeline = Schemas['PipelineSummary'];

/** Signed out: the form for the key, with why the last session ended (a refused key, or signing out). */
function SignIn({ reason, onSignIn }: { reason: string | null; onSignIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  return (
    <main class="signin">
      <h1>Propeller Console</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (key.trim()) onSignIn(key.trim());
        }}
      >
        <label for="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" autocomplete="off" spellcheck={false} value={key} onInput={(e) => setKey(e.currentTarget.value)} required />
        <button type="submit">Sign in</button>
        {reason && (
          <p class="error" role="alert" data-testid="signin-reason">
            {reason}
          </p>
        )}
        <p class="hint">The key is kept in this tab only and forgotten when you sign out or close the tab.</p>
      </form>
    </main>
  );
}

export function App() {
  const [api, setApi] = useState<Client | null>(() => {
    const key = storedKey();
    return key ? apiFor(key) : null;
  });
  const [me, setMe] = useState<Me | null>(null);
  const [reason, setReason] = useState<string | null>(null);
  const route = useRoute();

  const signOut = useCallback((why: string | null) => {
    forgetKey();
    setApi(null);
    setMe(null);
    setReason(why);
  }, []);

  /** Every call goes through here: a 401 anywhere signs the tab out. */
  const guard = useCallback(
    (err: unknown): never => {
      if (err instanceof SignedOut) signOut(`Signed out: ${err.message}`);
      throw err;
    },
    [signOut],
  );

  useEffect(() => {
    if (!api) return;
    let live = true;
    api
      .get('/v1/me')
      .then((a) => live && setMe(dataOf(a)))
      .catch((err) => {
        if (!live) return;
        // The first call with a key: a 401 here is the key refused at sign-in, not a session ending.
        if (err instanceof SignedOut) signOut(`Key refused: ${err.message}`);
        else setReason(err instanceof Error ? err.message : String(err));
      });
    return () => {
      live = false;
    };
  }, [api, signOut]);

  if (!api) {
    return (
      <SignIn
        reason={reason}
        onSignIn={(key) => {
          storeKey(key);
          setReason(null);
          setApi(apiFor(key));
        }}
      />
    );
  }
  if (!me) return <p class="loading">Signing in…</p>;
  return (
    <div class="shell">
      <header class="top">
        <span class="brand">Propeller</span>
        <span class="who" data-testid="who">
          <span data-testid="user-name">{me.user.name}</span>
          <span class="roles" data-testid="user-roles">
            {me.user.roles.join(', ')}
          </span>
          <span class="company" data-testid="company-name">
            {me.company.name}
          </span>
        </span>
        <button type="button" onClick={() => signOut('You signed out.')}>
          Sign out
        </button>
      </header>
      {route.page === 'instance' ? (
        <InstancePage key={route.instanceId} api={api} guard={guard} instanceId={route.instanceId} webUi={me.temporalWebUi} />
      ) : me.company.kind === 'owner' ? <Pipelines api={api} guard={guard} /> : <Inbox api={api} guard={guard} me={me} />}
    </div>
  );
}

export type Guard = (err: unknown) => never;

function Pipelines({ api, guard }: { api: Client; guard: Guard }) {
  const [pipelines, setPipelines] = useState<Pipeline[] | null>(null);
  const [chosen, setChosen] = useState<string>('');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    (async () => {
      const all = await allPages((cursor) => api.get('/v1/pipelines', { query: { limit: 100, ...(cursor && { cursor }) } }).then(dataOf));
      return all.filter((p) => p.latestVersion > 0);
    })()
      .then((all) => {
        if (!live) return;
        setPipelines(all);
        setChosen((c) => c || all[0]?.key || '');
      })
      .catch((err) => {
        if (!live) return;
        try {
          guard(err);
        } catch {
          setError(messageOf(err));
        }
      });
    return () => {
      live = false;
    };
  }, [api, guard]);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (!pipelines) return <p class="loading">Loading pipelines…</p>;
  if (pipelines.length === 0) return <p class="note">No published pipeline yet.</p>;
  return (
    <main>
      <div class="picker">
        <label for="pipeline">Pipeline</label>
        <select id="pipeline" value={chosen} onChange={(e) => setChosen(e.currentTarget.value)}>
          {pipelines.map((p) => (
            <option key={p.key} value={p.key}>
              {p.name}
            </option>
          ))}
        </select>
      </div>
      {chosen && <Board key={chosen} api={api} guard={guard} pipeline={pipelines.find((p) => p.key === chosen)!} />}
    </main>
  );
}
