// parley's agent console (docs/console.md): Preact components written with
// htm, no build step beyond copying. Routes live in the URL fragment:
//   #/            the inbox
//   #/c/<id>      a conversation (with the inbox beside it on wide screens)
//   #/status      the status page
import {render} from './vendor/preact.mjs';
import {useEffect, useRef, useState} from './vendor/hooks.mjs';
import {api, setCsrf, setUnauthorizedHandler} from './api.js';
import {html} from './html.js';
import {Inbox, prefetchInbox} from './inbox.js';
import {Thread} from './thread.js';
import {Status} from './status.js';

function parseRoute(hash) {
  const h = hash.replace(/^#/, '');
  if (h.startsWith('/c/')) return {view: 'inbox', id: decodeURIComponent(h.slice(3))};
  if (h === '/status') return {view: 'status'};
  return {view: 'inbox', id: null};
}

function Login({onLogin}) {
  const [token, setToken] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    const r = await api('POST', '/v1/login', {token});
    setBusy(false);
    if (r.ok) { setToken(''); onLogin(r.data); return; }
    // 429: this address sent too many wrong tokens; the server says for how long
    setError(r.status === 401 ? 'That token was refused.'
      : (r.data && (r.data.message || r.data.error)) || 'HTTP ' + r.status);
  }
  return html`<main class="login">
    <form onSubmit=${submit} aria-labelledby="login-h">
      <h1 id="login-h">parley console</h1>
      <label for="token">Admin or agent token</label>
      <input id="token" type="password" autocomplete="current-password" required
        value=${token} onInput=${e => setToken(e.target.value)} />
      <button type="submit" class="primary" disabled=${busy}>Log in</button>
      ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
    </form></main>`;
}

const SHORTCUTS = [['j', 'next conversation'], ['k', 'previous conversation'],
                   ['r', 'reply (focus the answer box)'], ['e', 'resolve the open conversation'],
                   ['g then s', 'status page'], ['g then i', 'inbox'], ['?', 'this help'],
                   ['Esc', 'close the help, leave the answer box']];

function Help({onClose}) {
  const ref = useRef(null);
  useEffect(() => { ref.current && ref.current.focus(); }, []);
  return html`<div class="overlay" onClick=${onClose}>
    <div class="help" role="dialog" aria-modal="true" aria-labelledby="help-h" tabindex="-1" ref=${ref}
      onClick=${e => e.stopPropagation()}>
      <h2 id="help-h">Keyboard shortcuts</h2>
      <dl>${SHORTCUTS.map(([k, v]) => html`<dt><kbd>${k}</kbd></dt><dd>${v}</dd>`)}</dl>
      <button type="button" onClick=${onClose}>Close</button>
    </div></div>`;
}

// One EventSource for the session: every message or conversation change
// bumps `live` (coalesced over 100 ms), which the views depend on.
function useLive(enabled) {
  const [live, setLive] = useState(0);
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    if (!enabled) return undefined;
    const es = new EventSource('/v1/stream');
    let timer = 0;
    const bump = () => { clearTimeout(timer); timer = setTimeout(() => setLive(x => x + 1), 100); };
    es.addEventListener('message', bump);
    es.addEventListener('conversation', bump);
    es.onopen = () => setConnected(true);
    es.onerror = () => setConnected(false);
    return () => { clearTimeout(timer); es.close(); };
  }, [enabled]);
  return [live, connected];
}

// The clock that SLA countdowns read: re-renders every 15 s (no request).
function useNow() {
  const [now, setNow] = useState(Date.now());
  useEffect(() => { const t = setInterval(() => setNow(Date.now()), 15000); return () => clearInterval(t); }, []);
  return now;
}

function Console({session, onLogout}) {
  const [route, setRoute] = useState(parseRoute(location.hash));
  const [help, setHelp] = useState(false);
  const [changed, setChanged] = useState(0);
  const [live, connected] = useLive(true);
  const now = useNow();
  const rows = useRef([]);
  const resolveFn = useRef(null);
  const pendingG = useRef(false);
  useEffect(() => {
    const f = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);

  useEffect(() => {
    function key(e) {
      if (e.key === 'Escape') { setHelp(false); if (document.activeElement) document.activeElement.blur(); return; }
      const t = e.target;
      if (e.ctrlKey || e.metaKey || e.altKey || (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)))) return;
      if (pendingG.current) {
        pendingG.current = false;
        if (e.key === 's') location.hash = '#/status';
        if (e.key === 'i') location.hash = '#/';
        return;
      }
      const list = rows.current;
      const cur = parseRoute(location.hash);
      const at = list.findIndex(c => c.id === cur.id);
      if (e.key === 'j' || e.key === 'k') {
        const next = e.key === 'j' ? (at < 0 ? 0 : Math.min(at + 1, list.length - 1)) : Math.max(at - 1, 0);
        if (list[next]) location.hash = '#/c/' + encodeURIComponent(list[next].id);
      } else if (e.key === 'r') {
        const box = document.getElementById('answer-text');
        if (box) { e.preventDefault(); box.focus(); }
      } else if (e.key === 'e') {
        if (cur.id && resolveFn.current) resolveFn.current();
      } else if (e.key === '?') {
        setHelp(h => !h);
      } else if (e.key === 'g') {
        pendingG.current = true;
      } else return;
      e.preventDefault();
    }
    addEventListener('keydown', key);
    return () => removeEventListener('keydown', key);
  }, []);

  useEffect(() => {
    if (route.id === null) resolveFn.current = null;
    const el = route.id && document.querySelector('.conv.open');
    if (el) el.scrollIntoView({block: 'nearest'});
  }, [route.id]);

  const tick = live + changed;
  return html`<div class=${'shell' + (route.id ? ' has-thread' : '')}>
    <header class="top">
      <h1><a href="#/">parley</a></h1>
      <nav aria-label="Main">
        <a href="#/" aria-current=${route.view === 'inbox' ? 'page' : undefined}>Inbox</a>
        <a href="#/status" aria-current=${route.view === 'status' ? 'page' : undefined}>Status</a>
      </nav>
      <span class=${'live ' + (connected ? 'on' : 'off')} role="status"
        title=${connected ? 'live updates connected' : 'live updates disconnected'}>${connected ? '● live' : '○ offline'}</span>
      <span class="agent">${session.agent}</span>
      <button type="button" class="small" onClick=${() => setHelp(true)} aria-label="Keyboard shortcuts">?</button>
      <button type="button" class="small" onClick=${onLogout}>Log out</button>
    </header>
    ${route.view === 'status' ? html`<main class="single"><${Status} live=${tick} /></main>`
      : html`<main class="split">
        <${Inbox} openId=${route.id} live=${tick} now=${now} onRows=${r => { rows.current = r; }} />
        ${route.id ? html`<${Thread} id=${route.id} live=${tick} now=${now}
            registerResolve=${fn => { resolveFn.current = fn; }} onChanged=${() => setChanged(x => x + 1)} />`
          : html`<section class="thread placeholder"><p>Open a conversation (or press <kbd>j</kbd>).</p></section>`}
      </main>`}
    ${help ? html`<${Help} onClose=${() => setHelp(false)} />` : ''}
  </div>`;
}

function App() {
  const [session, setSession] = useState(undefined); // undefined: asking; null: logged out
  const login = s => { setCsrf(s.csrf); setSession(s); };
  useEffect(() => {
    setUnauthorizedHandler(() => { setCsrf(null); setSession(null); });
    api('GET', '/v1/session').then(r => (r.ok ? login(r.data) : setSession(null)));
  }, []);
  async function logout() {
    await api('POST', '/v1/logout');
    setCsrf(null);
    setSession(null);
  }
  if (session === undefined) return html`<p class="loading" role="status">Loading…</p>`;
  if (!session) return html`<${Login} onLogin=${login} />`;
  return html`<${Console} session=${session} onLogout=${logout} />`;
}

prefetchInbox();
render(html`<${App} />`, document.getElementById('app'));
